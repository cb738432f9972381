-- pipeline-fixedrate.lua: a fixed pipelined load for bench/http/syscalls.sh.
-- Usage: wrk ... -s pipeline-fixedrate.lua URL -- DEPTH DELAY_MS   (16, 4)
-- Like ../shared/peers/http/lua/pipeline.lua (each write sends DEPTH requests,
-- wrk counts every response), but every connection waits DELAY_MS before it
-- sends its next batch, so the offered load is about conns * DEPTH / DELAY_MS
-- responses per second for every server and nothing is saturated: the syscall
-- count per batch is then what a server does at a moderate load, not the
-- smaller figure of a saturated one (epoll_wait returning many events).
init = function(args)
  local depth = tonumber(args[1]) or 16
  delay_ms = tonumber(args[2]) or 4
  local batch = string.rep(wrk.format(), depth)
  wrk.format = function() return batch end
end

delay = function()
  return delay_ms
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "EDDY_RESULT requests=%d duration_us=%d errors=%d\n",
    summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout))
end
