-- fixedrate.lua: scenario (d)'s load for bench/http/syscalls.sh (see
-- ../shared/peers/http/lua/fixedrate.lua): each connection waits DELAY_MS
-- (first argument, default 4) after every response before its next request.
init = function(args)
  delay_ms = tonumber(args[1]) or 4
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
