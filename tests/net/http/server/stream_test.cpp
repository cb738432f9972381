// stream_test.cpp: streamed response bodies (response::stream, stream_writer.hpp)
// against an in-process server on 127.0.0.1: the chunked wire framing, curl
// decoding it, an 8 MiB stream through a slow reader (backpressure) on both
// runtimes, HEAD, HTTP/1.0, a throwing producer, a client that leaves mid-stream,
// a producer that waits between writes, pipelining after a stream, and no
// allocation per chunk.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <eddy/executor.hpp>
#include <eddy/join.hpp>
#include <eddy/net/http/output_buffer.hpp>
#include <eddy/net/http/router.hpp>
#include <eddy/net/http/serializer.hpp>
#include <eddy/net/http/server.hpp>
#include <eddy/net/tcp_listener.hpp>
#include <eddy/net/tcp_stream.hpp>
#include <eddy/runtime.hpp>
#include <eddy/spawn_blocking.hpp>
#include <eddy/sync/notify.hpp>
#include <eddy/timer/sleep.hpp>

#include "tests/runtime/sync/alloc_counter.hpp"

namespace {

using namespace eddy::net::http;
using eddy::task;
using eddy::net::address;
using eddy::net::tcp_listener;
using eddy::net::tcp_stream;
using std::string_literals::operator""s;

constexpr std::string_view until_eof = "\x01 never sent";

char pattern(std::uint64_t i) { return static_cast<char>('a' + (i * 7 + i / 251) % 26); }

std::string expected_body(std::uint64_t chunks, std::uint64_t size) {
  std::string s(chunks * size, '\0');
  for (std::uint64_t i = 0; i < s.size(); ++i) s[i] = pattern(i);
  return s;
}

/// "N-S" -> N chunks of S bytes.
std::pair<std::uint64_t, std::uint64_t> parse_query(std::string_view q) {
  std::uint64_t n = 0, s = 0;
  const auto dash = q.find('-');
  std::from_chars(q.data(), q.data() + dash, n);
  std::from_chars(q.data() + dash + 1, q.data() + q.size(), s);
  return {n, s};
}

/// What the producers report to the test (any worker thread may write it).
struct probe {
  std::atomic<int> producers_started{0};
  std::atomic<bool> write_failed{false};
  std::atomic<long> steady_allocations{-1};
  // Content bytes the client has read, and the most /stream's producer was ahead
  // of it after a write completed.
  std::atomic<std::uint64_t> client_received{0};
  std::atomic<std::uint64_t> max_lead{0};
  eddy::sync::notify producer_done;
  eddy::sync::notify gate;
};

router routes(probe& p) {
  router r;
  r.get("/plain", [](const request&) -> task<response> {
    co_return response::with_body(status::ok, "plain", "text/plain");
  });
  // N chunks of S bytes of pattern().
  r.get("/stream", [&p](const request& req) -> task<response> {
    const auto [n, size] = parse_query(req.query());
    co_return response::stream(
        status::ok, "application/octet-stream",
        [&p, n = n, size = size, buf = std::string()](stream_writer& w) mutable -> task<void> {
          p.producers_started.fetch_add(1);
          std::uint64_t at = 0;
          for (std::uint64_t c = 0; c < n; ++c) {
            buf.resize(size);
            for (auto& ch : buf) ch = pattern(at++);
            if (!co_await w.write(buf)) co_return;
            const auto lead = at - std::min(at, p.client_received.load());
            if (lead > p.max_lead.load()) p.max_lead = lead;
            (void)co_await w.write("");  // skipped: an empty chunk would end the body
          }
        });
  });
  // 200 chunks of 4 KiB; counts allocations between chunk 50 and chunk 150.
  r.get("/count", [&p](const request&) -> task<response> {
    co_return response::stream(status::ok, "text/plain", [&p](stream_writer& w) -> task<void> {
      const std::string chunk(4096, 'x');
      for (int c = 0; c < 200; ++c) {
        if (c == 50) eddy::sync::test::count_allocations(true);
        if (c == 150) {
          eddy::sync::test::count_allocations(false);
          p.steady_allocations = eddy::sync::test::take_allocation_count();
        }
        if (!co_await w.write(chunk)) co_return;
      }
    });
  });
  r.get("/throw", [&p](const request&) -> task<response> {
    co_return response::stream(status::ok, "text/plain", [&p](stream_writer& w) -> task<void> {
      p.producers_started.fetch_add(1);
      (void)co_await w.write("partial");
      throw std::runtime_error("producer failed");
    });
  });
  // Writes until the client is gone.
  r.get("/endless", [&p](const request&) -> task<response> {
    co_return response::stream(status::ok, "text/plain", [&p](stream_writer& w) -> task<void> {
      const std::string chunk(64 * 1024, 'e');
      while (co_await w.write(chunk)) {
      }
      p.write_failed = static_cast<bool>(w.error());
      p.producer_done.notify_one();
    });
  });
  // Writes "first", waits for the test's gate (the client saw "first"), then "second".
  r.get("/wait", [&p](const request&) -> task<response> {
    co_return response::stream(status::ok, "text/plain", [&p](stream_writer& w) -> task<void> {
      (void)co_await w.write("first");
      co_await p.gate.notified();
      (void)co_await w.write("second");
    });
  });
  return r;
}

/// Serves `srv` on 127.0.0.1 while `client(port)` runs, then shuts it down.
template <class Client>
void serve_while(server& srv, Client client, bool multi_thread = false) {
  auto body = [&]() -> task<void> {
    auto l = tcp_listener::bind(address::loopback_v4(0));
    if (!l) co_return;
    const auto port = l->local_address()->port();
    auto run_client = [&]() -> task<void> {
      co_await client(port);
      srv.shutdown();
    };
    co_await eddy::join(srv.serve(*l), run_client());
  };
  if (multi_thread) {
    auto rt = eddy::runtime::new_multi_thread().worker_threads(2).build();
    rt.block_on(body());
  } else {
    eddy::block_on(body());
  }
}

/// Sends `req` on `s` and reads until `stop` appears or EOF (appending to `got`).
task<void> send_and_read(tcp_stream& s, std::string req, std::string_view stop, std::string& got) {
  if (!req.empty() && !co_await s.write_all(std::as_bytes(std::span(req)))) co_return;
  std::array<std::byte, 16 * 1024> buf;
  while (got.find(stop) == std::string::npos) {
    auto n = co_await s.read(buf);
    if (!n || *n == 0) break;
    got.append(reinterpret_cast<const char*>(buf.data()), *n);
  }
}

task<std::string> exchange(std::uint16_t port, std::string req, std::string_view stop) {
  auto s = co_await tcp_stream::connect(address::loopback_v4(port));
  if (!s) co_return "connect failed";
  std::string got;
  co_await send_and_read(*s, std::move(req), stop, got);
  co_return got;
}

/// The content of a chunked body, or nullopt if the framing is wrong or the
/// last chunk is missing. `rest` gets what follows the body.
std::optional<std::string> dechunk(std::string_view wire, std::string_view* rest = nullptr) {
  std::string out;
  for (;;) {
    const auto eol = wire.find("\r\n");
    if (eol == std::string_view::npos || eol == 0) return std::nullopt;
    std::uint64_t size = 0;
    auto [end, ec] = std::from_chars(wire.data(), wire.data() + eol, size, 16);
    if (ec != std::errc() || end != wire.data() + eol) return std::nullopt;
    wire.remove_prefix(eol + 2);
    if (wire.size() < size + 2 || wire.substr(size, 2) != "\r\n") return std::nullopt;
    if (size == 0) {
      if (rest) *rest = wire.substr(2);
      return out;
    }
    out.append(wire.substr(0, size));
    wire.remove_prefix(size + 2);
  }
}

std::string_view head_of(std::string_view r) { return r.substr(0, r.find("\r\n\r\n") + 4); }
std::string_view body_of(std::string_view r) {
  const auto e = r.find("\r\n\r\n");
  return e == std::string_view::npos ? std::string_view() : r.substr(e + 4);
}

std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

/// Runs a shell command on the blocking pool; its standard output.
task<std::string> run_command(std::string cmd) {
  // Not `co_return co_await ...`: GCC 12 destroys that temporary string twice.
  auto job = eddy::spawn_blocking([cmd = std::move(cmd)] {
    std::string out;
    if (FILE* f = ::popen(cmd.c_str(), "r")) {
      std::array<char, 65536> buf;
      std::size_t n;
      while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) out.append(buf.data(), n);
      ::pclose(f);
    }
    return out;
  });
  std::string out = co_await job;
  co_return out;
}

/// A stream_writer sink that "sends" by moving the buffer into `wire`, or fails.
struct fake_sink {
  output_buffer* out;
  std::string wire;
  int calls = 0;
  std::error_code fail;

  static eddy::polled<eddy::result<void>> poll(void* self, eddy::context&) {
    auto& s = *static_cast<fake_sink*>(self);
    ++s.calls;
    if (s.fail) return eddy::result<void>(s.fail);
    s.wire += s.out->to_string();
    s.out->consume(s.out->size());
    return eddy::result<void>{};
  }
};

TEST(StreamWriter, FlushesPastTheThresholdAndKeepsTheFirstError) {
  output_buffer out;
  fake_sink sink{&out, {}, 0, {}};
  stream_writer w(out, body_framing::chunked, {&sink, &fake_sink::poll});
  std::vector<std::string> steps;
  eddy::block_on([&]() -> task<void> {
    const bool small = static_cast<bool>(co_await w.write("abc"));
    steps.push_back(std::to_string(small) + " " + std::to_string(sink.calls) + " " +
                    out.to_string());
    const bool big =
        static_cast<bool>(co_await w.write(std::string(stream_writer::flush_threshold, 'x')));
    steps.push_back(std::to_string(big) + " " + std::to_string(sink.calls) + " " +
                    std::to_string(out.size()));
    sink.fail = std::make_error_code(std::errc::connection_reset);
    const bool buffered = static_cast<bool>(co_await w.write("more"));  // below the threshold
    const bool flushed = static_cast<bool>(co_await w.flush());
    const bool after = static_cast<bool>(co_await w.write("x"));
    steps.push_back(std::to_string(buffered) + std::to_string(flushed) + std::to_string(after) +
                    " " + out.to_string());
  }());
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0], "1 0 3\r\nabc\r\n");
  EXPECT_EQ(steps[1], "1 1 0");
  EXPECT_TRUE(sink.wire.starts_with("3\r\nabc\r\n10000\r\nxxx"));
  EXPECT_EQ(steps[2], "100 4\r\nmore\r\n");  // the failed write appended nothing
  EXPECT_EQ(w.error(), std::errc::connection_reset);
  EXPECT_EQ(w.bytes_written(), 3 + stream_writer::flush_threshold + 4);
}

TEST(StreamWriter, CloseDelimitedFramingWritesRawBytes) {
  output_buffer out;
  fake_sink sink{&out, {}, 0, {}};
  stream_writer w(out, body_framing::close_delimited, {&sink, &fake_sink::poll});
  eddy::block_on([&]() -> task<void> {
    (void)co_await w.write("abc");
    (void)co_await w.write("");
    (void)co_await w.write("def");
  }());
  EXPECT_EQ(out.to_string(), "abcdef");
  EXPECT_EQ(sink.calls, 0);
}

TEST(Stream, WireFramingAndAPipelinedRequestAfterIt) {
  probe p;
  server srv(routes(p));
  std::string got;
  serve_while(srv, [&](std::uint16_t port) -> task<void> {
    got = co_await exchange(port,
                            "GET /stream?3-5 HTTP/1.1\r\nHost: a\r\n\r\n"
                            "GET /plain HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
                            until_eof);
  });
  const auto head = head_of(got);
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\n")) << got;
  EXPECT_NE(head.find("\r\nTransfer-Encoding: chunked\r\n"), std::string::npos) << got;
  EXPECT_NE(head.find("\r\nContent-Type: application/octet-stream\r\n"), std::string::npos);
  EXPECT_EQ(head.find("Content-Length"), std::string::npos) << got;
  const auto body = expected_body(3, 5);
  const std::string wire = "5\r\n" + body.substr(0, 5) + "\r\n5\r\n" + body.substr(5, 5) +
                           "\r\n5\r\n" + body.substr(10, 5) + "\r\n0\r\n\r\n";
  const auto rest = body_of(got);
  ASSERT_TRUE(rest.starts_with(wire)) << got;
  const auto second = rest.substr(wire.size());
  EXPECT_TRUE(second.starts_with("HTTP/1.1 200 OK\r\n")) << got;
  EXPECT_TRUE(second.ends_with("\r\n\r\nplain")) << got;
  EXPECT_EQ(srv.stats().requests, 2u);
  EXPECT_EQ(srv.stats().handler_errors, 0u);
}

TEST(Stream, CurlDecodesTheBodyAndSeesTheChunks) {
  if (std::system("curl --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "no curl";
  probe p;
  server srv(routes(p));
  std::string decoded, raw;
  serve_while(srv, [&](std::uint16_t port) -> task<void> {
    const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/stream?100-1000";
    decoded = co_await run_command("curl -s --max-time 20 '" + url + "'");
    raw = co_await run_command("curl -s --max-time 20 --raw '" + url + "'");
  });
  EXPECT_EQ(decoded.size(), 100'000u);
  EXPECT_TRUE(decoded == expected_body(100, 1000));
  EXPECT_TRUE(raw.starts_with("3e8\r\n")) << raw.substr(0, 64);
  EXPECT_TRUE(raw.ends_with("\r\n0\r\n\r\n"));
  const auto content = dechunk(raw);
  ASSERT_TRUE(content.has_value());
  EXPECT_TRUE(*content == decoded);
}

/// 8 MiB in 64 KiB chunks to a reader that pauses after every 256 KiB: the body
/// arrives byte-exact and the server never buffers much more than one flush.
void big_stream_through_a_slow_reader(bool multi_thread) {
  constexpr std::uint64_t chunk = 64 * 1024, chunks = 128;
  probe p;
  server srv(routes(p));
  std::string got;
  got.reserve(chunks * chunk + 64 * 1024);
  serve_while(
      srv,
      [&](std::uint16_t port) -> task<void> {
        auto s = co_await tcp_stream::connect(address::loopback_v4(port));
        if (!s) co_return;
        const std::string req = "GET /stream?" + std::to_string(chunks) + "-" +
                                std::to_string(chunk) +
                                " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
        // A fixed receive buffer: the kernel would otherwise grow it (up to
        // tcp_rmem's 32 MiB here) to hold the whole stream.
        const int rcvbuf = 64 * 1024;
        ::setsockopt(s->native_handle(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
        if (!co_await s->write_all(std::as_bytes(std::span(req)))) co_return;
        std::array<std::byte, 16 * 1024> buf;
        std::size_t since_pause = 0;
        for (;;) {
          auto n = co_await s->read(buf);
          if (!n || *n == 0) break;
          got.append(reinterpret_cast<const char*>(buf.data()), *n);
          p.client_received = got.size();  // counts the head and framing too: a few KiB
          since_pause += *n;
          if (since_pause >= 256 * 1024) {
            since_pause = 0;
            co_await eddy::sleep_for(std::chrono::milliseconds(2));  // a slow reader
          }
        }
      },
      multi_thread);
  const auto content = dechunk(body_of(got));
  ASSERT_TRUE(content.has_value()) << head_of(got);
  EXPECT_EQ(content->size(), chunks * chunk);
  EXPECT_TRUE(*content == expected_body(chunks, chunk));
  const auto st = srv.stats();
  ::testing::Test::RecordProperty("stream_buffer_peak", std::to_string(st.stream_buffer_peak));
  EXPECT_GT(st.stream_buffer_peak, chunk);
  // The producer waited for the reader: it was never more than the socket
  // buffers (the server's send buffer grows to tcp_wmem's 4 MiB) ahead.
  ::testing::Test::RecordProperty("producer_max_lead", std::to_string(p.max_lead.load()));
  EXPECT_LT(p.max_lead.load(), chunks * chunk * 3 / 4);
  EXPECT_LE(st.stream_buffer_peak, stream_writer::flush_threshold + chunk + 1024);
  EXPECT_EQ(st.io_errors + st.write_timeouts + st.handler_errors, 0u);
}

TEST(Stream, EightMiBThroughASlowReaderCurrentThread) { big_stream_through_a_slow_reader(false); }
TEST(Stream, EightMiBThroughASlowReaderMultiThread) { big_stream_through_a_slow_reader(true); }

TEST(Stream, HeadSendsTheHeadOnlyAndNeverRunsTheProducer) {
  probe p;
  server srv(routes(p));
  std::string got;
  serve_while(srv, [&](std::uint16_t port) -> task<void> {
    got = co_await exchange(port,
                            "HEAD /stream?3-5 HTTP/1.1\r\nHost: a\r\n\r\n"
                            "GET /plain HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
                            until_eof);
  });
  const auto head = head_of(got);
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\n")) << got;
  EXPECT_NE(head.find("\r\nTransfer-Encoding: chunked\r\n"), std::string::npos) << got;
  EXPECT_TRUE(body_of(got).starts_with("HTTP/1.1 200 OK\r\n")) << got;  // no body in between
  EXPECT_TRUE(got.ends_with("\r\n\r\nplain")) << got;
  EXPECT_EQ(p.producers_started.load(), 0);
}

TEST(Stream, Http10GetsACloseDelimitedBody) {
  probe p;
  server srv(routes(p));
  std::string got;
  serve_while(srv, [&](std::uint16_t port) -> task<void> {
    got = co_await exchange(port, "GET /stream?3-5 HTTP/1.0\r\n\r\n", until_eof);
  });
  const auto head = head_of(got);
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\n")) << got;
  EXPECT_NE(head.find("\r\nConnection: close\r\n"), std::string::npos) << got;
  EXPECT_EQ(head.find("Transfer-Encoding"), std::string::npos) << got;
  EXPECT_EQ(head.find("Content-Length"), std::string::npos) << got;
  EXPECT_EQ(body_of(got), expected_body(3, 5));  // then EOF
}

TEST(Stream, ProducerThatThrowsTruncatesTheBodyAndIsCounted) {
  probe p;
  server srv(routes(p));
  std::string got, after;
  serve_while(srv, [&](std::uint16_t port) -> task<void> {
    got = co_await exchange(port, "GET /throw HTTP/1.1\r\nHost: a\r\n\r\n", until_eof);
    after = co_await exchange(port, "GET /plain HTTP/1.1\r\nHost: a\r\n\r\n", "plain");
  });
  EXPECT_TRUE(got.starts_with("HTTP/1.1 200 OK\r\n")) << got;
  EXPECT_EQ(body_of(got), "7\r\npartial\r\n") << got;  // no last chunk: truncated
  EXPECT_FALSE(dechunk(body_of(got)).has_value());
  EXPECT_TRUE(after.ends_with("\r\n\r\nplain")) << after;
  EXPECT_EQ(srv.stats().handler_errors, 1u);
  EXPECT_EQ(srv.stats().connections_open, 0u);
}

TEST(Stream, ClientLeavingMidStreamStopsTheProducerAndLeaksNothing) {
  probe p;
  const auto fds_before = open_fds();
  server srv(routes(p));
  std::string got, after;
  serve_while(srv, [&](std::uint16_t port) -> task<void> {
    {
      auto s = co_await tcp_stream::connect(address::loopback_v4(port));
      if (!s) co_return;
      std::string part;
      co_await send_and_read(*s, "GET /endless HTTP/1.1\r\nHost: a\r\n\r\n", std::string(1024, 'e'),
                             part);
      got = part.substr(0, 15);
    }  // closed with unread data: the server's next writes fail
    co_await p.producer_done.notified();
    after = co_await exchange(port, "GET /plain HTTP/1.1\r\nHost: a\r\n\r\n", "plain");
  });
  EXPECT_TRUE(got.starts_with("HTTP/1.1 200 OK")) << got;
  EXPECT_TRUE(p.write_failed.load());
  EXPECT_TRUE(after.ends_with("\r\n\r\nplain")) << after;
  const auto st = srv.stats();
  EXPECT_EQ(st.io_errors, 1u);
  EXPECT_EQ(st.handler_errors, 0u);
  EXPECT_EQ(st.connections_open, 0u);
  EXPECT_EQ(open_fds(), fds_before);
}

// Regression: a write below flush_threshold stayed in the output buffer while the
// producer waited for something else, so the client never saw it (a hang).
TEST(Stream, WhatIsBufferedGoesOutWhileTheProducerWaits) {
  probe p;
  server srv(routes(p));
  std::string got;
  serve_while(srv, [&](std::uint16_t port) -> task<void> {
    auto s = co_await tcp_stream::connect(address::loopback_v4(port));
    if (!s) co_return;
    co_await send_and_read(*s, "GET /wait HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
                           "5\r\nfirst\r\n", got);
    p.gate.notify_one();
    co_await send_and_read(*s, "", until_eof, got);
  });
  EXPECT_EQ(dechunk(body_of(got)), "firstsecond") << got;
}

TEST(Stream, NoAllocationPerChunk) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer owns operator new";
#endif
  probe p;
  server srv(routes(p));
  std::string got;
  got.reserve(1 << 20);
  serve_while(srv, [&](std::uint16_t port) -> task<void> {
    auto s = co_await tcp_stream::connect(address::loopback_v4(port));
    if (!s) co_return;
    co_await send_and_read(*s, "GET /count HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
                           until_eof, got);
  });
  const auto content = dechunk(body_of(got));
  ASSERT_TRUE(content.has_value());
  EXPECT_EQ(content->size(), 200u * 4096);
  EXPECT_EQ(p.steady_allocations.load(), 0);
}

}  // namespace
