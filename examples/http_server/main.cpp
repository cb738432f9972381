// http_server: the HTTP/1.1 server example.
//
//   http_server [--host 127.0.0.1] [--port 8080] [--threads N] [--root DIR]
//               [--reactor thread|worker]
//
//   GET /plaintext       200 text/plain "Hello, World!"
//   GET /json            200 application/json {"message":"Hello, World!"}
//   POST /echo           200 with the request body (Content-Length or chunked);
//                        over 1 MiB: 413
//   GET /sleep?ms=N      200 after at least N ms (0..10000; else 400), from a timer
//   GET|HEAD /static/P   the file P under --root, Content-Type by extension; 404
//                        if missing, refused, or when no --root was given
//   anything else        404, or 405 with Allow for a known path
//
// --port 0 picks a free port; the URL printed at startup has the real one.
// SIGINT/SIGTERM: stop accepting, finish the requests in flight (10 s at most),
// print the counters to stderr and exit 0.
//
// --threads 1 (the default): one current-thread runtime on the main thread.
// --threads N > 1: one multi-thread runtime with N worker threads (and its
// reactor thread); one listener, whose accept loop is a task, and one task per
// connection, each polled by any worker. --reactor worker (N > 1 only): no
// reactor thread, an idle worker turns the driver (eddy::reactor_mode::idle_worker).
//
// Test knobs (environment, milliseconds): EDDY_HTTP_HEADER_TIMEOUT_MS (20000),
// EDDY_HTTP_KEEPALIVE_TIMEOUT_MS (60000), EDDY_HTTP_LINGER_MS (1000).
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include <pthread.h>
#include <signal.h>

#include <eddy/executor.hpp>
#include <eddy/join.hpp>
#include <eddy/net/address.hpp>
#include <eddy/net/http/headers.hpp>
#include <eddy/net/http/router.hpp>
#include <eddy/net/http/server.hpp>
#include <eddy/net/http/static_file.hpp>
#include <eddy/net/tcp_listener.hpp>
#include <eddy/reactor/signal.hpp>
#include <eddy/runtime.hpp>
#include <eddy/task.hpp>
#include <eddy/timer/sleep.hpp>

namespace http = eddy::net::http;
using eddy::task;

namespace {

constexpr std::string_view hello = "Hello, World!";
constexpr std::string_view hello_json = R"({"message":"Hello, World!"})";
constexpr unsigned max_sleep_ms = 10'000;

struct options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  unsigned threads = 1;
  eddy::reactor_mode reactor = eddy::reactor_mode::dedicated_thread;
  std::optional<std::string> root;
};

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: http_server [--host 127.0.0.1] [--port 8080] [--threads N] [--root DIR]\n"
               "                   [--reactor thread|worker]\n");
  std::exit(2);
}

std::optional<unsigned long> parse_number(std::string_view s, unsigned long max) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  unsigned long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned long>(c - '0');
  }
  if (v > max) return std::nullopt;
  return v;
}

options parse_args(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) usage();
    const std::string_view value = argv[++i];
    if (arg == "--host") {
      o.host = value;
    } else if (arg == "--port") {
      auto p = parse_number(value, 65535);
      if (!p) usage();
      o.port = static_cast<std::uint16_t>(*p);
    } else if (arg == "--threads") {
      auto t = parse_number(value, 1024);
      if (!t || *t == 0) usage();
      o.threads = static_cast<unsigned>(*t);
    } else if (arg == "--reactor") {
      if (value != "thread" && value != "worker") usage();
      o.reactor = value == "worker" ? eddy::reactor_mode::idle_worker
                                    : eddy::reactor_mode::dedicated_thread;
    } else if (arg == "--root") {
      o.root = std::string(value);
    } else {
      usage();
    }
  }
  return o;
}

std::chrono::milliseconds env_ms(const char* name, std::chrono::milliseconds fallback) {
  const char* v = std::getenv(name);
  if (!v) return fallback;
  auto n = parse_number(v, 100'000'000);
  return n ? std::chrono::milliseconds(*n) : fallback;
}

http::response text(http::status s, std::string_view body) {
  http::response r(s);
  r.add_header(http::field::content_type, "text/plain; charset=utf-8");
  r.set_body(std::string(body));
  return r;
}

http::router make_router(const http::static_root* root) {
  http::router r;
  r.get("/plaintext", [](const http::request&) -> task<http::response> {
    http::response resp;
    resp.add_header(http::field::content_type, "text/plain");
    resp.set_borrowed_body(hello);
    co_return resp;
  });
  r.get("/json", [](const http::request&) -> task<http::response> {
    http::response resp;
    resp.add_header(http::field::content_type, "application/json");
    resp.set_borrowed_body(hello_json);
    co_return resp;
  });
  // Bodies over the codec's max_body_bytes (1 MiB) never get here: the codec
  // answers 413 itself.
  r.post("/echo", [](const http::request& req) -> task<http::response> {
    http::response resp;
    auto type = req.header("Content-Type");
    if (!type || !resp.add_header(http::field::content_type, *type))
      resp.add_header(http::field::content_type, "application/octet-stream");
    resp.set_body(std::string(req.body()));
    co_return resp;
  });
  r.get("/sleep", [](const http::request& req) -> task<http::response> {
    auto ms = http::query_param(req.query(), "ms");
    auto n = ms ? parse_number(*ms, max_sleep_ms) : std::nullopt;
    if (!n) co_return text(http::status::bad_request, "ms must be 0..10000\n");
    co_await eddy::sleep_for(std::chrono::milliseconds(*n));
    co_return text(http::status::ok, "slept " + std::to_string(*n) + " ms\n");
  });
  r.get_prefix("/static/", [root](const http::request& req) -> task<http::response> {
    // Files are resolved from the still-encoded path (static_file.hpp), so
    // %2e%2e and encoded slashes are judged by the resolver, not decoded here.
    constexpr std::string_view prefix = "/static/";
    std::string_view raw = req.raw_path();
    if (!root || !raw.starts_with(prefix)) co_return text(http::status::not_found, "Not Found\n");
    auto file = root->open(raw.substr(prefix.size()));
    if (!file) co_return text(http::status::not_found, "Not Found\n");
    http::response resp;
    resp.add_header(http::field::content_type, file->content_type);
    resp.set_file_body(std::move(file->file), 0, file->size);
    co_return resp;
  });
  return r;
}

task<int> run(const options& o, const http::router& routes) {
  auto at = eddy::net::address::parse_ip(o.host, o.port);
  if (!at) {
    std::fprintf(stderr, "http_server: bad --host %s\n", o.host.c_str());
    co_return 2;
  }
  // main() blocked these before the runtime started its threads (signal.hpp).
  auto signals = eddy::signal_stream::open({SIGINT, SIGTERM});
  if (!signals) {
    std::fprintf(stderr, "http_server: signals: %s\n", signals.error().message().c_str());
    co_return 1;
  }
  auto listener = eddy::net::tcp_listener::bind(*at, {.backlog = 1024});
  if (!listener) {
    std::fprintf(stderr, "http_server: bind %s: %s\n", at->to_string().c_str(),
                 listener.error().message().c_str());
    co_return 1;
  }
  auto local = listener->local_address();
  if (!local) co_return 1;

  http::server_settings settings;
  settings.header_timeout = env_ms("EDDY_HTTP_HEADER_TIMEOUT_MS", settings.header_timeout);
  settings.keep_alive_timeout =
      env_ms("EDDY_HTTP_KEEPALIVE_TIMEOUT_MS", settings.keep_alive_timeout);
  settings.linger_timeout = env_ms("EDDY_HTTP_LINGER_MS", settings.linger_timeout);

  http::server srv(routes, settings);
  std::printf("listening on http://%s\n", local->to_string().c_str());
  std::fflush(stdout);

  auto wait_signal = [](eddy::signal_stream& s, http::server& srv) -> task<void> {
    auto signo = co_await s.recv();
    if (signo) std::fprintf(stderr, "http_server: signal %d, shutting down\n", *signo);
    srv.shutdown();
  };
  // The accept loop is a task of its own (on a worker, for --threads > 1); this
  // one only waits for it and for the signal.
  co_await eddy::join(eddy::spawn(srv.serve(*listener)), wait_signal(*signals, srv));

  const http::server_stats total = srv.stats();
  std::fprintf(stderr,
               "http_server: %llu connections, %llu requests, %llu protocol errors, "
               "%llu header timeouts, %llu idle timeouts, %llu handler errors, "
               "%llu cancelled at shutdown\n",
               static_cast<unsigned long long>(total.connections_accepted),
               static_cast<unsigned long long>(total.requests),
               static_cast<unsigned long long>(total.protocol_errors),
               static_cast<unsigned long long>(total.header_timeouts),
               static_cast<unsigned long long>(total.idle_timeouts),
               static_cast<unsigned long long>(total.handler_errors),
               static_cast<unsigned long long>(total.cancelled_at_shutdown));
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse_args(argc, argv);
  // sendfile raises SIGPIPE on a reset connection (socket writes use MSG_NOSIGNAL).
  std::signal(SIGPIPE, SIG_IGN);
  std::optional<http::static_root> root;
  if (o.root) {
    auto r = http::static_root::open_root(*o.root);
    if (!r) {
      std::fprintf(stderr, "http_server: --root %s: %s\n", o.root->c_str(),
                   r.error().message().c_str());
      return 2;
    }
    root = std::move(*r);
  }
  const http::router routes = make_router(root ? &*root : nullptr);
  // Blocked before any thread starts, so that every runtime thread inherits the
  // mask and the signals wait for the signalfd (signal.hpp).
  ::sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  if (o.threads == 1) return eddy::block_on(run(o, routes));
  auto rt = eddy::runtime::new_multi_thread()
                .worker_threads(o.threads)
                .reactor(o.reactor)
                .thread_name("http-worker")
                .build();
  return rt.block_on(run(o, routes));
}
