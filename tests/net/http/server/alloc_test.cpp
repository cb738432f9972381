// alloc_test.cpp: the server allocates nothing per request in steady state (issue 6).
//
// This executable replaces the global operator new and counts the allocations
// made on the server's thread. A client thread (plain blocking sockets, so its
// own allocations are not counted nor needed) sends keep-alive requests, one at
// a time and pipelined in batches of 16, for the two benchmark routes; once the
// first half has warmed every buffer and pool up, the second half must not
// allocate at all.
#include <gtest/gtest.h>

// The replaced operator delete frees what the replaced operator new took from
// malloc; GCC cannot see that when it inlines them at a new-expression.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <thread>

#include <eddy/join.hpp>
#include <eddy/net/http/router.hpp>
#include <eddy/net/http/server.hpp>
#include <eddy/net/tcp_listener.hpp>
#include <eddy/runtime.hpp>

#if defined(__SANITIZE_ADDRESS__)
#define EDDY_ALLOC_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EDDY_ALLOC_TEST_ASAN 1
#endif
#endif

namespace {

std::atomic<std::uint64_t> server_allocations{0};
thread_local bool counting = false;

void* counted_alloc(std::size_t n, std::size_t align) {
  if (counting) server_allocations.fetch_add(1, std::memory_order_relaxed);
  if (n == 0) n = 1;
  void* p = nullptr;
  if (align <= alignof(std::max_align_t)) {
    p = std::malloc(n);
  } else if (::posix_memalign(&p, align, n) != 0) {
    p = nullptr;
  }
  return p;
}

}  // namespace

void* operator new(std::size_t n) {
  if (void* p = counted_alloc(n, 0)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  if (void* p = counted_alloc(n, 0)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, std::align_val_t a) {
  if (void* p = counted_alloc(n, static_cast<std::size_t>(a))) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t a) {
  if (void* p = counted_alloc(n, static_cast<std::size_t>(a))) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n, 0); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n, 0); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace {

using namespace eddy::net::http;
using eddy::task;

constexpr std::string_view hello = "Hello, World!";
constexpr std::string_view hello_json = R"({"message":"Hello, World!"})";

// The example's two benchmark routes (examples/http_server/main.cpp), as written there.
router bench_routes() {
  router r;
  r.get("/plaintext", [](const request&) -> task<response> {
    response resp;
    resp.add_header("Content-Type", "text/plain");
    resp.set_borrowed_body(hello);
    co_return resp;
  });
  r.get("/json", [](const request&) -> task<response> {
    response resp;
    resp.add_header("Content-Type", "application/json");
    resp.set_borrowed_body(hello_json);
    co_return resp;
  });
  return r;
}

/// A blocking keep-alive client; every failure is recorded, never thrown.
struct client {
  int fd = -1;
  std::string pending;
  std::string error;

  explicit client(std::uint16_t port) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ::sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::connect(fd, reinterpret_cast<::sockaddr*>(&sa), sizeof sa) != 0)
      error = "connect failed";
    pending.reserve(64 * 1024);
  }
  ~client() {
    if (fd >= 0) ::close(fd);
  }

  void send(std::string_view bytes) {
    while (error.empty() && !bytes.empty()) {
      const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) error = "send failed";
      if (n > 0) bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  /// Reads `count` responses, each a head with Content-Length and its body,
  /// and checks that each carries `body`.
  void expect(std::size_t count, std::string_view body) {
    char chunk[16 * 1024];
    while (error.empty() && count > 0) {
      const auto head_end = pending.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        const std::size_t total = head_end + 4 + body.size();
        if (pending.size() >= total) {
          if (pending.compare(0, 17, "HTTP/1.1 200 OK\r\n") != 0 ||
              pending.compare(head_end + 4, body.size(), body) != 0)
            error = "unexpected response: " + pending.substr(0, total);
          pending.erase(0, total);
          --count;
          continue;
        }
      }
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) {
        error = "connection closed early";
        break;
      }
      pending.append(chunk, static_cast<std::size_t>(n));
    }
  }
};

struct counts {
  std::uint64_t first_half = 0;
  std::uint64_t second_half = 0;
};

/// Runs `rounds` rounds of `drive(client&)` against an in-process server on this
/// thread, and counts this thread's allocations over each half.
template <typename Drive>
counts measure(int rounds, Drive drive, std::string& error) {
  server srv(bench_routes());
  counts c;
  std::thread driver;
  auto run = [&]() -> task<void> {
    auto l = eddy::net::tcp_listener::bind(eddy::net::address::loopback_v4(0));
    if (!l) {
      error = "bind failed";
      co_return;
    }
    const auto port = l->local_address()->port();
    driver = std::thread([&, port] {
      client cl(port);
      for (int i = 0; i < rounds / 2 && cl.error.empty(); ++i) drive(cl);
      const std::uint64_t start = server_allocations.load();
      for (int i = rounds / 2; i < rounds && cl.error.empty(); ++i) drive(cl);
      c.second_half = server_allocations.load() - start;
      c.first_half = start;
      error = cl.error;
      srv.shutdown();
    });
    co_await srv.serve(*l);
  };
  server_allocations.store(0);
  counting = true;
  eddy::block_on(run());
  counting = false;
  if (driver.joinable()) driver.join();
  return c;
}

class ServerAllocations : public ::testing::Test {
 protected:
  void SetUp() override {
#ifdef EDDY_ALLOC_TEST_ASAN
    GTEST_SKIP() << "ASan builds pass every coroutine frame to operator new";
#endif
  }
};

TEST_F(ServerAllocations, NoneForKeepAliveRequests) {
  std::string error;
  const auto c = measure(
      400,
      [](client& cl) {
        cl.send("GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n");
        cl.expect(1, hello);
        cl.send("GET /json HTTP/1.1\r\nHost: a\r\nUser-Agent: t\r\n\r\n");
        cl.expect(1, hello_json);
      },
      error);
  EXPECT_EQ(error, "");
  EXPECT_GT(c.first_half, 0u) << "the counter counts nothing";
  EXPECT_EQ(c.second_half, 0u) << "allocations in 400 steady-state requests";
}

TEST_F(ServerAllocations, NoneForPipelinedRequests) {
  std::string batch;
  for (int i = 0; i < 16; ++i) batch += "GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n";
  std::string error;
  const auto c = measure(
      100,
      [&](client& cl) {
        cl.send(batch);
        cl.expect(16, hello);
      },
      error);
  EXPECT_EQ(error, "");
  EXPECT_GT(c.first_half, 0u) << "the counter counts nothing";
  EXPECT_EQ(c.second_half, 0u) << "allocations in 50 batches of 16 pipelined requests";
}

}  // namespace
