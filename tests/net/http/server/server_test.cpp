// server_test.cpp: the router, signal_stream, and the server in-process (stats,
// handler exceptions, shutdown that has to cancel). The example binary is tested
// from the outside by curl_test.py and raw_socket_test.py.
#include <gtest/gtest.h>

#include <csignal>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>

#include <signal.h>
#include <unistd.h>

#include <eddy/executor.hpp>
#include <eddy/join.hpp>
#include <eddy/net/http/router.hpp>
#include <eddy/net/http/server.hpp>
#include <eddy/net/tcp_listener.hpp>
#include <eddy/net/tcp_stream.hpp>
#include <eddy/reactor/signal.hpp>
#include <eddy/timer/sleep.hpp>

namespace {

using namespace eddy::net::http;
using eddy::task;
using eddy::net::address;
using eddy::net::tcp_listener;
using eddy::net::tcp_stream;

handler text(std::string_view body) {
  return [body](const request&) -> task<response> {
    co_return response::with_body(status::ok, std::string(body), "text/plain");
  };
}

TEST(Router, ExactBeatsPrefixAndLongestPrefixWins) {
  router r;
  r.get("/a", text("exact")).get_prefix("/", text("root")).get_prefix("/a/b/", text("ab"));
  EXPECT_NE(r.match(method::get, "/a").target, nullptr);
  EXPECT_EQ(r.match(method::get, "/a").target, r.match(method::get, "/a").target);
  auto ab = r.match(method::get, "/a/b/c");
  auto root = r.match(method::get, "/zzz");
  ASSERT_NE(ab.target, nullptr);
  ASSERT_NE(root.target, nullptr);
  EXPECT_NE(ab.target, root.target);
}

TEST(Router, UnknownPathIs404) {
  router r;
  r.get("/a", text("a"));
  auto m = r.match(method::get, "/b");
  EXPECT_EQ(m.target, nullptr);
  EXPECT_EQ(m.status, status::not_found);
}

TEST(Router, OtherMethodIs405WithAllow) {
  router r;
  r.get("/a", text("a")).post("/a", text("p")).post("/only-post", text("p"));
  auto m = r.match(method::delete_, "/a");
  EXPECT_EQ(m.target, nullptr);
  EXPECT_EQ(m.status, status::method_not_allowed);
  EXPECT_EQ(m.allow, "GET, HEAD, POST");
  EXPECT_EQ(r.match(method::get, "/only-post").allow, "POST");
  EXPECT_EQ(r.match(method::other, "/a").status, status::method_not_allowed);
  auto resp = router::not_matched(m);
  EXPECT_EQ(resp.status(), status::method_not_allowed);
  EXPECT_EQ(resp.header("Allow"), "GET, HEAD, POST");
}

TEST(Router, HeadFallsBackToGet) {
  router r;
  r.get("/a", text("a"));
  EXPECT_EQ(r.match(method::head, "/a").target, r.match(method::get, "/a").target);
  r.head("/a", text("h"));
  EXPECT_NE(r.match(method::head, "/a").target, r.match(method::get, "/a").target);
}

TEST(Signal, StreamReceivesARaisedSignal) {
  auto got = eddy::block_on([]() -> task<int> {
    auto s = eddy::signal_stream::open({SIGUSR1, SIGUSR2});
    if (!s) co_return -1;
    ::kill(::getpid(), SIGUSR2);  // blocked now: pending until the signalfd reads it
    auto r = co_await s->recv();
    co_return r ? *r : -2;
  }());
  EXPECT_EQ(got, SIGUSR2);
}

TEST(Signal, FutureCompletesOnDelivery) {
  auto got = eddy::block_on([]() -> task<int> {
    auto fut = eddy::signal(SIGUSR1);
    auto raiser = []() -> task<void> {
      ::kill(::getpid(), SIGUSR1);
      co_return;
    };
    // The future opens its stream (blocking the signal) at its first poll, which
    // join runs before the raiser.
    auto [r, unit] = co_await eddy::join(std::move(fut), raiser());
    (void)unit;
    co_return r ? *r : -1;
  }());
  EXPECT_EQ(got, SIGUSR1);
}

/// Sends `req` on a new connection and reads until `stop` appears or EOF.
task<std::string> exchange(std::uint16_t port, std::string req, std::string_view stop) {
  auto s = co_await tcp_stream::connect(address::loopback_v4(port));
  if (!s) co_return "connect failed";
  if (!co_await s->write_all(std::as_bytes(std::span(req)))) co_return "write failed";
  std::string got;
  std::array<std::byte, 4096> buf;
  while (got.find(stop) == std::string::npos) {
    auto n = co_await s->read(buf);
    if (!n || *n == 0) break;
    got.append(reinterpret_cast<const char*>(buf.data()), *n);
  }
  co_return got;
}

TEST(Server, AnswersCountsAndShutsDown) {
  router r;
  r.get("/x", text("hi"));
  r.get("/throw", [](const request&) -> task<response> {
    throw std::runtime_error("handler failed");
    co_return response();
  });
  server srv(std::move(r));
  std::string ok, thrown, bad;
  eddy::block_on([&]() -> task<void> {
    auto l = tcp_listener::bind(address::loopback_v4(0));
    if (!l) co_return;
    const auto port = l->local_address()->port();
    auto client = [&]() -> task<void> {
      ok = co_await exchange(port, "GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", "hi");
      thrown = co_await exchange(port, "GET /throw HTTP/1.1\r\nHost: a\r\n\r\n", "Error\n");
      bad = co_await exchange(port, "GET /x HTTP/1.1\r\n\r\n", "\r\n\r\n");
      srv.shutdown();
    };
    co_await eddy::join(srv.serve(*l), client());
  }());
  EXPECT_NE(ok.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << ok;
  EXPECT_NE(thrown.find("HTTP/1.1 500 "), std::string::npos) << thrown;
  EXPECT_NE(bad.find("HTTP/1.1 400 "), std::string::npos) << bad;
  const auto& st = srv.stats();
  EXPECT_EQ(st.connections_accepted, 3u);
  EXPECT_EQ(st.connections_open, 0u);
  EXPECT_EQ(st.requests, 2u);
  EXPECT_EQ(st.handler_errors, 1u);
  EXPECT_EQ(st.protocol_errors, 1u);
  EXPECT_EQ(st.errors_400, 1u);
}

TEST(Server, ShutdownCancelsWhatOutlivesTheGracePeriod) {
  router r;
  r.get("/slow", [](const request&) -> task<response> {
    co_await eddy::sleep_for(std::chrono::seconds(60));
    co_return response(status::ok);
  });
  server_settings settings;
  settings.shutdown_timeout = std::chrono::milliseconds(50);
  server srv(std::move(r), settings);
  std::string got;
  eddy::block_on([&]() -> task<void> {
    auto l = tcp_listener::bind(address::loopback_v4(0));
    if (!l) co_return;
    const auto port = l->local_address()->port();
    auto client = [&]() -> task<void> {
      auto s = co_await tcp_stream::connect(address::loopback_v4(port));
      if (!s) co_return;
      // Pipelined behind a fast request: its answer proves /slow was read.
      std::string req =
          "GET /nope HTTP/1.1\r\nHost: a\r\n\r\nGET /slow HTTP/1.1\r\nHost: a\r\n\r\n";
      (void)co_await s->write_all(std::as_bytes(std::span(req)));
      std::array<std::byte, 4096> buf;
      auto n = co_await s->read(buf);
      if (n) got.assign(reinterpret_cast<const char*>(buf.data()), *n);
      srv.shutdown();
      while (true) {  // the server cancels /slow and closes: EOF
        auto m = co_await s->read(buf);
        if (!m || *m == 0) break;
      }
    };
    co_await eddy::join(srv.serve(*l), client());
  }());
  EXPECT_NE(got.find("HTTP/1.1 404 "), std::string::npos) << got;
  EXPECT_EQ(srv.stats().cancelled_at_shutdown, 1u);
  EXPECT_EQ(srv.stats().connections_open, 0u);
}

}  // namespace
