// server_test.cpp: the router, signal_stream, and the server in-process (stats,
// handler exceptions, shutdown that has to cancel, many connections on the
// multi-thread runtime). The example binary is tested
// from the outside by curl_test.py and raw_socket_test.py.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <ctime>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <eddy/executor.hpp>
#include <eddy/join.hpp>
#include <eddy/net/http/router.hpp>
#include <eddy/net/http/server.hpp>
#include <eddy/net/tcp_listener.hpp>
#include <eddy/net/tcp_stream.hpp>
#include <eddy/reactor/signal.hpp>
#include <eddy/runtime.hpp>
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

// Exact paths of every length up to 40 (the comparison works by words up to 16
// bytes): each matches itself only, not a path one byte different anywhere.
TEST(Router, ExactPathsMatchByEveryByte) {
  for (std::size_t n = 1; n <= 40; ++n) {
    std::string path = "/";
    for (std::size_t i = 1; i < n; ++i) path += static_cast<char>('a' + i % 26);
    router r;
    r.get(path, text("x"));
    ASSERT_NE(r.match(method::get, path).target, nullptr) << path;
    for (std::size_t i = 0; i < n; ++i) {
      std::string other = path;
      other[i] = 'Z';
      EXPECT_EQ(r.match(method::get, other).target, nullptr) << other;
    }
    EXPECT_EQ(r.match(method::get, path + "a").target, nullptr);
    EXPECT_EQ(r.match(method::get, path.substr(0, n - 1)).target, nullptr);
  }
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

/// Serves `srv` on a loopback port (current-thread runtime) while `client(port)`
/// runs; the client ends the serving with srv.shutdown().
template <class Client>
void serve_while(server& srv, Client client) {
  eddy::block_on([&]() -> task<void> {
    auto l = tcp_listener::bind(address::loopback_v4(0));
    if (!l) {
      ADD_FAILURE() << "bind failed";
      co_return;
    }
    co_await eddy::join(srv.serve(*l), client(l->local_address()->port()));
  }());
}

/// The server's end of a loopback connection whose client end is bound to
/// `client_port`: a socket of this process whose peer is that port, or -1.
int server_side_fd(std::uint16_t client_port) {
  for (int fd = 0; fd < 1024; ++fd) {
    sockaddr_in peer{};
    socklen_t len = sizeof peer;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) continue;
    if (peer.sin_family == AF_INET && ntohs(peer.sin_port) == client_port) return fd;
  }
  return -1;
}

// Responses go out as soon as they are written (the connection sets TCP_NODELAY:
// a pipelined batch is one send, so Nagle would only delay the next response).
TEST(Server, AcceptedConnectionsSetNoDelay) {
  router r;
  r.get("/x", text("hi"));
  server srv(std::move(r));
  int nodelay = -1;
  serve_while(srv, [&](std::uint16_t port) -> task<void> {
    auto s = co_await tcp_stream::connect(address::loopback_v4(port));
    const std::string req = "GET /x HTTP/1.1\r\nHost: a\r\n\r\n";
    std::array<std::byte, 512> buf;
    // Answered: the server has accepted and set up its end.
    if (s && co_await s->write_all(std::as_bytes(std::span(req))) && co_await s->read(buf)) {
      const int fd = server_side_fd(s->local_address()->port());
      int v = 0;
      socklen_t len = sizeof v;
      if (fd >= 0 && ::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len) == 0) nodelay = v;
    }
    srv.shutdown();
  });
  EXPECT_GT(nodelay, 0);  // -1: the server's socket was not found
}

/// The seconds of each Date field in `responses`, in order (IMF-fixdate).
std::vector<std::int64_t> dates_of(const std::string& responses) {
  std::vector<std::int64_t> out;
  for (std::size_t at = responses.find("\r\nDate: "); at != std::string::npos;
       at = responses.find("\r\nDate: ", at + 1)) {
    std::tm tm{};
    if (!::strptime(responses.c_str() + at + 8, "%a, %d %b %Y %H:%M:%S GMT", &tm)) break;
    out.push_back(static_cast<std::int64_t>(::timegm(&tm)));
  }
  return out;
}

// A pipelined batch reads the clock once for its Date fields; a response written
// after its handler waited, and those after a streamed body, read it again.
TEST(Server, ResponsesAfterAWaitCarryTheDateOfTheirWriting) {
  router r;
  r.get("/one", text("one"));
  r.get("/wait", [](const request&) -> task<response> {
    co_await eddy::sleep_for(std::chrono::milliseconds(1100));
    co_return response::with_body(status::ok, "slept", "text/plain");
  });
  r.get("/stream", [](const request&) -> task<response> {
    co_return response::stream(status::ok, "text/plain", [](stream_writer& w) -> task<void> {
      co_await eddy::sleep_for(std::chrono::milliseconds(1100));
      (void)co_await w.write("streamed");
    });
  });
  r.get("/four", text("four"));
  server srv(std::move(r));
  std::string got;
  std::int64_t sent = 0;
  serve_while(srv, [&](std::uint16_t port) -> task<void> {
    sent = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now())
               .time_since_epoch()
               .count();
    got = co_await exchange(port,
                            "GET /one HTTP/1.1\r\nHost: a\r\n\r\n"
                            "GET /wait HTTP/1.1\r\nHost: a\r\n\r\n"
                            "GET /stream HTTP/1.1\r\nHost: a\r\n\r\n"
                            "GET /four HTTP/1.1\r\nHost: a\r\n\r\n",
                            "four");
    srv.shutdown();
  });
  const auto dates = dates_of(got);
  ASSERT_EQ(dates.size(), 4u) << got;
  EXPECT_GE(dates[0], sent - 1);      // the coarse clock may lag a tick behind
  EXPECT_GE(dates[1], sent + 1);      // written 1.1 s after the request was sent
  EXPECT_GE(dates[2], dates[1]);      // the stream's head, written at once
  EXPECT_GE(dates[3], dates[2] + 1);  // written 1.1 s after that head
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
  serve_while(srv, [&](std::uint16_t port) -> task<void> {
    ok = co_await exchange(port, "GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", "hi");
    thrown = co_await exchange(port, "GET /throw HTTP/1.1\r\nHost: a\r\n\r\n", "Error\n");
    bad = co_await exchange(port, "GET /x HTTP/1.1\r\n\r\n", "\r\n\r\n");
    srv.shutdown();
  });
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
  serve_while(srv, [&](std::uint16_t port) -> task<void> {
    auto s = co_await tcp_stream::connect(address::loopback_v4(port));
    if (!s) co_return;
    // Pipelined behind a fast request: its answer proves /slow was read.
    std::string req = "GET /nope HTTP/1.1\r\nHost: a\r\n\r\nGET /slow HTTP/1.1\r\nHost: a\r\n\r\n";
    (void)co_await s->write_all(std::as_bytes(std::span(req)));
    std::array<std::byte, 4096> buf;
    auto n = co_await s->read(buf);
    if (n) got.assign(reinterpret_cast<const char*>(buf.data()), *n);
    srv.shutdown();
    while (true) {  // the server cancels /slow and closes: EOF
      auto m = co_await s->read(buf);
      if (!m || *m == 0) break;
    }
  });
  EXPECT_NE(got.find("HTTP/1.1 404 "), std::string::npos) << got;
  EXPECT_EQ(srv.stats().cancelled_at_shutdown, 1u);
  EXPECT_EQ(srv.stats().connections_open, 0u);
}

/// Reads one response (head and Content-Length body) from `s`, buffering what
/// follows it in `buf`; "" on EOF or error.
task<std::string> read_response(tcp_stream& s, std::string& buf) {
  std::array<std::byte, 4096> chunk;
  for (;;) {
    const auto head_end = buf.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      const auto cl = buf.find("Content-Length: ");
      if (cl != std::string::npos && cl < head_end) {
        const std::size_t len = std::stoul(buf.substr(cl + 16, buf.find("\r\n", cl) - cl - 16));
        const std::size_t total = head_end + 4 + len;
        if (buf.size() >= total) {
          std::string r = buf.substr(0, total);
          buf.erase(0, total);
          co_return r;
        }
      }
    }
    auto n = co_await s.read(chunk);
    if (!n || *n == 0) co_return std::string();
    buf.append(reinterpret_cast<const char*>(chunk.data()), *n);
  }
}

/// `rounds` pairs of pipelined keep-alive requests, each response checked; then
/// reports `done` and waits for the server to close the idle connection.
/// Returns "" or what went wrong.
task<std::string> mt_client(std::uint16_t port, int id, int rounds, std::atomic<int>& done) {
  auto s = co_await tcp_stream::connect(address::loopback_v4(port));
  if (!s) co_return "connect failed";
  std::string buf;
  for (int i = 0; i < rounds; ++i) {
    const std::string a = std::to_string(id) + "-" + std::to_string(2 * i);
    const std::string b = std::to_string(id) + "-" + std::to_string(2 * i + 1);
    const std::string req = "GET /id?" + a + " HTTP/1.1\r\nHost: t\r\n\r\nGET /id?" + b +
                            " HTTP/1.1\r\nHost: t\r\n\r\n";
    if (!co_await s->write_all(std::as_bytes(std::span(req)))) co_return "write failed";
    for (const std::string& want : {a, b}) {
      const std::string r = co_await read_response(*s, buf);
      if (!r.starts_with("HTTP/1.1 200 OK\r\n") || !r.ends_with("\r\n\r\n" + want) ||
          r.find("\r\nDate: ") == std::string::npos)
        co_return "request " + want + " got: " + r;
    }
  }
  done.fetch_add(1);
  std::array<std::byte, 64> rest;
  auto n = co_await s->read(rest);  // shutdown closes idle connections at once
  if (!n || *n != 0) co_return "not closed at shutdown";
  co_return "";
}

TEST(Server, ManyConnectionsOnTheMultiThreadRuntime) {
  constexpr int connections = 64;
  constexpr int rounds = 25;  // of two pipelined requests
  router r;
  r.get("/id", [](const request& req) -> task<response> {
    // Some handlers wait on a timer: their connection resumes on whichever
    // worker the wake reaches.
    if (req.query().ends_with("3")) co_await eddy::sleep_for(std::chrono::milliseconds(1));
    co_return response::with_body(status::ok, std::string(req.query()), "text/plain");
  });
  server_settings settings;
  settings.shutdown_timeout = std::chrono::seconds(20);  // idle connections must not wait for it
  server srv(std::move(r), settings);
  std::vector<std::string> failures;
  auto rt = eddy::runtime::new_multi_thread().worker_threads(4).build();
  rt.block_on([&]() -> task<void> {
    auto l = tcp_listener::bind(address::loopback_v4(0));
    if (!l) {
      failures.push_back("bind failed");
      co_return;
    }
    const auto port = l->local_address()->port();
    auto serving = eddy::spawn(srv.serve(*l));
    std::atomic<int> done{0};
    std::vector<eddy::join_handle<std::string>> clients;
    for (int c = 0; c < connections; ++c)
      clients.push_back(eddy::spawn(mt_client(port, c, rounds, done)));
    while (done.load() < connections) {
      co_await eddy::sleep_for(std::chrono::milliseconds(2));
      // A client that failed early never reports done.
      bool all_running = true;
      for (auto& h : clients) all_running = all_running && !h.is_finished();
      if (!all_running && done.load() < connections) break;
    }
    const auto t0 = std::chrono::steady_clock::now();
    srv.shutdown();
    for (auto& h : clients) {
      std::string e = co_await h;
      if (!e.empty()) failures.push_back(std::move(e));
    }
    co_await serving;
    if (std::chrono::steady_clock::now() - t0 > std::chrono::seconds(5))
      failures.push_back("shutdown waited for idle connections");
  }());
  for (const auto& f : failures) ADD_FAILURE() << f;
  const auto st = srv.stats();
  EXPECT_EQ(st.connections_accepted, std::uint64_t{connections});
  EXPECT_EQ(st.connections_open, 0u);
  EXPECT_EQ(st.requests, std::uint64_t{connections} * rounds * 2);
  EXPECT_EQ(st.protocol_errors, 0u);
  EXPECT_EQ(st.io_errors, 0u);
  EXPECT_EQ(st.idle_timeouts, 0u);
  EXPECT_EQ(st.cancelled_at_shutdown, 0u);
}

}  // namespace
