// tcp_test.cpp: TCP over loopback on a current-thread executor, with the reactor
// turned inline and on its own thread (every test runs in both modes).
#include <gtest/gtest.h>
#include <eddy/executor.hpp>
#include <eddy/join.hpp>
#include <eddy/join_handle.hpp>
#include <eddy/net/address.hpp>
#include <eddy/net/error.hpp>
#include <eddy/net/tcp_listener.hpp>
#include <eddy/net/tcp_stream.hpp>
#include <eddy/task.hpp>
#include <eddy/timer/sleep.hpp>
#include <eddy/timer/timeout.hpp>
#include <eddy/yield_now.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <sys/socket.h>

#include "net/src/sys.hpp"
#include "tests/reactor/runtime_harness.hpp"

namespace eddy::net {
namespace {

using namespace std::chrono_literals;
using test::io_mode;
using test::runtime_harness;

std::byte pattern(std::uint64_t i, std::uint32_t seed = 0) {
  return static_cast<std::byte>(((i + seed) * 0x9E3779B97F4A7C15ull) >> 56);
}

std::span<const std::byte> bytes(std::string_view s) { return std::as_bytes(std::span(s)); }

class Tcp : public ::testing::TestWithParam<io_mode> {
 protected:
  runtime_harness rt{GetParam()};
};

task<void> echo_connection(tcp_stream s) {
  std::array<std::byte, 16 * 1024> buf;
  for (;;) {
    auto n = co_await s.read(buf);
    if (!n || *n == 0) co_return;
    if (!co_await s.write_all(std::span(buf).first(*n))) co_return;
  }
}

/// Accepts `count` connections, echoing each on its own task; returns accept errors.
task<int> echo_server(tcp_listener& l, int count) {
  std::vector<join_handle<void>> conns;
  int errors = 0;
  for (int i = 0; i < count; ++i) {
    auto s = co_await l.accept();
    if (!s) {
      ++errors;
      continue;
    }
    conns.push_back(spawn(echo_connection(std::move(*s))));
  }
  for (auto& c : conns) co_await c;
  co_return errors;
}

/// Sends `size` bytes through the echo server and checks every byte that comes back.
task<bool> echo_client(address to, std::uint32_t seed, std::size_t size) {
  auto s = co_await tcp_stream::connect(to);
  if (!s) co_return false;
  std::vector<std::byte> out(size), in(size);
  for (std::size_t i = 0; i < size; ++i) out[i] = pattern(i, seed);
  auto [w, r] = co_await join(s->write_all(out), s->read_exact(in));
  co_return w&& r&& in == out;
}

TEST_P(Tcp, ThousandConcurrentEchoClients) {
  constexpr int clients = 1000;
  constexpr std::size_t size = 64 * 1024;
  const auto start = std::chrono::steady_clock::now();
  auto [errors, good] = rt.block_on([]() -> task<std::pair<int, int>> {
    auto l = tcp_listener::bind(address::loopback_v4(0), {.backlog = 4096});
    if (!l) co_return std::pair{-1, 0};
    const address at = *l->local_address();
    auto server = spawn(echo_server(*l, clients));
    std::vector<join_handle<bool>> cs;
    for (int i = 0; i < clients; ++i) cs.push_back(spawn(echo_client(at, i, size)));
    int good = 0;
    for (auto& c : cs) good += (co_await c) ? 1 : 0;
    co_return std::pair{co_await server, good};
  }());
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(good, clients);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 60s);
}

TEST_P(Tcp, HundredMiBThroughOneConnectionByteExact) {
  constexpr std::uint64_t total = 100ull << 20;
  struct outcome {
    std::uint64_t received = 0;
    std::uint64_t first_bad = ~0ull;
    bool write_ok = false;
  };
  auto o = rt.block_on([]() -> task<outcome> {
    outcome o;
    auto l = tcp_listener::bind(address::loopback_v4(0));
    if (!l) co_return o;
    auto writer = spawn([](address at) -> task<bool> {
      auto s = co_await tcp_stream::connect(at);
      if (!s) co_return false;
      std::vector<std::byte> chunk(256 * 1024 + 7);  // odd size: chunks straddle reads
      for (std::uint64_t sent = 0; sent < total;) {
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), total - sent));
        for (std::size_t i = 0; i < n; ++i) chunk[i] = pattern(sent + i);
        if (!co_await s->write_all(std::span(chunk).first(n))) co_return false;
        sent += n;
      }
      co_return s->shutdown(shutdown_how::write).has_value();
    }(*l->local_address()));
    auto s = co_await l->accept();
    if (!s) co_return o;
    std::vector<std::byte> buf(64 * 1024);
    for (;;) {
      auto n = co_await s->read(buf);
      if (!n || *n == 0) break;
      for (std::size_t i = 0; i < *n; ++i) {
        if (buf[i] != pattern(o.received + i) && o.first_bad == ~0ull) o.first_bad = o.received + i;
      }
      o.received += *n;
    }
    o.write_ok = co_await writer;
    co_return o;
  }());
  EXPECT_TRUE(o.write_ok);
  EXPECT_EQ(o.received, total);
  EXPECT_EQ(o.first_bad, ~0ull) << "first corrupted byte at offset " << o.first_bad;
}

TEST_P(Tcp, HalfCloseStillReads) {
  struct outcome {
    std::string server_got, client_got;
    bool client_eof = false;
  };
  auto o = rt.block_on([]() -> task<outcome> {
    outcome o;
    auto l = tcp_listener::bind(address::loopback_v4(0));
    auto server = spawn([](tcp_listener& l) -> task<std::string> {
      auto s = co_await l.accept();
      if (!s) co_return "accept failed";
      std::string got;
      std::array<std::byte, 64> buf;
      for (;;) {  // until the client's FIN
        auto n = co_await s->read(buf);
        if (!n || *n == 0) break;
        got.append(reinterpret_cast<const char*>(buf.data()), *n);
      }
      // Our side is still open for writing.
      (void)co_await s->write_all(bytes("bye"));
      co_return got;
    }(*l));
    auto c = co_await tcp_stream::connect(*l->local_address());
    if (!c) co_return o;
    (void)co_await c->write_all(bytes("hello"));
    (void)c->shutdown(shutdown_how::write);
    std::array<std::byte, 64> buf;
    for (;;) {
      auto n = co_await c->read(buf);
      if (!n) break;
      if (*n == 0) {
        o.client_eof = true;
        break;
      }
      o.client_got.append(reinterpret_cast<const char*>(buf.data()), *n);
    }
    o.server_got = co_await server;
    co_return o;
  }());
  EXPECT_EQ(o.server_got, "hello");
  EXPECT_EQ(o.client_got, "bye");
  EXPECT_TRUE(o.client_eof);
}

TEST_P(Tcp, ConnectToClosedPortIsRefused) {
  // A socket bound to the port but not listening: nobody accepts there, and, as
  // long as it stays bound, no other process (another test on the machine) can
  // start listening on that port in between.
  auto holder = detail::open_socket(AF_INET, SOCK_STREAM);
  ASSERT_TRUE(holder.has_value()) << holder.error().message();
  sockaddr_storage ss{};
  const socklen_t len = detail::to_sockaddr(address::loopback_v4(0), ss);
  ASSERT_EQ(::bind(*holder, reinterpret_cast<const sockaddr*>(&ss), len), 0);
  const auto at = detail::local_address(*holder);
  ASSERT_TRUE(at.has_value()) << at.error().message();
  auto ec = rt.block_on([](address to) -> task<std::error_code> {
    auto s = co_await tcp_stream::connect(to);
    co_return s ? std::error_code{} : s.error();
  }(*at));
  EXPECT_EQ(ec, std::errc::connection_refused) << ec.message();
  detail::close_fd(*holder);
}

TEST_P(Tcp, BindingAPortInUseFails) {
  auto ec = rt.block_on([]() -> task<std::error_code> {
    auto a = tcp_listener::bind(address::loopback_v4(0));
    if (!a) co_return a.error();
    auto b = tcp_listener::bind(*a->local_address());
    co_return b ? std::error_code{} : b.error();
  }());
  EXPECT_EQ(ec, std::errc::address_in_use) << ec.message();
}

TEST_P(Tcp, ReusePortLetsTwoListenersShareAPort) {
  auto ok = rt.block_on([]() -> task<bool> {
    auto a = tcp_listener::bind(address::loopback_v4(0), {.reuse_port = true});
    if (!a) co_return false;
    auto b = tcp_listener::bind(*a->local_address(), {.reuse_port = true});
    co_return b.has_value();
  }());
  EXPECT_TRUE(ok);
}

TEST_P(Tcp, ReadWithTimeoutExpires) {
  auto ec = rt.block_on([]() -> task<std::error_code> {
    auto l = tcp_listener::bind(address::loopback_v4(0));
    auto c = co_await tcp_stream::connect(*l->local_address());
    auto s = co_await l->accept();
    if (!c || !s) co_return std::make_error_code(std::errc::not_connected);
    std::array<std::byte, 16> buf;
    auto r = co_await timeout(50ms, c->read(buf));  // the peer never writes
    co_return r ? std::error_code{} : r.error();
  }());
  EXPECT_EQ(ec, eddy::errc::timed_out) << ec.message();
}

TEST_P(Tcp, ConnectWithTimeoutExpiresWhenTheAcceptQueueIsFull) {
  // A listener that never accepts, with a tiny backlog: once its queue is full
  // the kernel drops further SYNs, so those handshakes cannot finish.
  auto outcome = rt.block_on([]() -> task<std::pair<int, std::error_code>> {
    auto l = tcp_listener::bind(address::loopback_v4(0), {.backlog = 1});
    if (!l) co_return std::pair{0, l.error()};
    std::vector<tcp_stream> held;
    for (int i = 0; i < 16; ++i) {
      auto s = co_await tcp_stream::connect(*l->local_address(), 200ms);
      if (!s) co_return std::pair{i, s.error()};
      held.push_back(std::move(*s));
    }
    co_return std::pair{16, std::error_code{}};
  }());
  EXPECT_LT(outcome.first, 16);
  EXPECT_EQ(outcome.second, eddy::errc::timed_out) << outcome.second.message();
}

TEST_P(Tcp, VectoredIoNodelayAndAddresses) {
  struct outcome {
    std::string got;
    bool nodelay = false, addresses_match = false;
  };
  auto o = rt.block_on([]() -> task<outcome> {
    outcome o;
    auto l = tcp_listener::bind(address::loopback_v4(0));
    auto c = co_await tcp_stream::connect(*l->local_address());
    auto s = co_await l->accept();
    if (!c || !s) co_return o;
    (void)c->set_nodelay(true);
    o.nodelay = c->nodelay().value();
    o.addresses_match =
        *c->local_address() == *s->peer_address() && *c->peer_address() == *l->local_address();
    const std::string_view a = "scatter ", b = "gather";
    const std::array<std::span<const std::byte>, 2> out{bytes(a), bytes(b)};
    auto w = co_await c->writev(out);
    if (!w || *w != a.size() + b.size()) co_return o;
    std::array<std::byte, 8> x;
    std::array<std::byte, 6> y;
    std::array<std::span<std::byte>, 2> in{std::span(x), std::span(y)};
    std::size_t got = 0;
    while (got < x.size() + y.size()) {
      auto r = co_await s->readv(in);
      if (!r || *r == 0) break;
      got += *r;
      // Re-aim the buffers past what arrived (a short read is allowed).
      const std::size_t in_x = std::min(got, x.size());
      in = {std::span(x).subspan(in_x), std::span(y).subspan(got - in_x)};
    }
    o.got.assign(reinterpret_cast<const char*>(x.data()), x.size());
    o.got.append(reinterpret_cast<const char*>(y.data()), y.size());
    co_return o;
  }());
  EXPECT_EQ(o.got, "scatter gather");
  EXPECT_TRUE(o.nodelay);
  EXPECT_TRUE(o.addresses_match);
}

TEST_P(Tcp, ReadExactReportsEarlyEof) {
  auto ec = rt.block_on([]() -> task<std::error_code> {
    auto l = tcp_listener::bind(address::loopback_v4(0));
    auto c = co_await tcp_stream::connect(*l->local_address());
    auto s = co_await l->accept();
    if (!c || !s) co_return std::make_error_code(std::errc::not_connected);
    (void)co_await c->write_all(bytes("abc"));
    c->close();
    std::array<std::byte, 10> buf;
    auto r = co_await s->read_exact(buf);
    co_return r ? std::error_code{} : r.error();
  }());
  EXPECT_EQ(ec, net::errc::unexpected_eof) << ec.message();
}

TEST_P(Tcp, WriteToAResetPeerIsAnErrorNotSigpipe) {
  auto ec = rt.block_on([]() -> task<std::error_code> {
    auto l = tcp_listener::bind(address::loopback_v4(0));
    auto c = co_await tcp_stream::connect(*l->local_address());
    auto s = co_await l->accept();
    if (!c || !s) co_return std::make_error_code(std::errc::not_connected);
    s->close();
    std::vector<std::byte> chunk(64 * 1024);
    for (int i = 0; i < 1000; ++i) {  // the first writes may still succeed
      auto w = co_await c->write_all(chunk);
      if (!w) co_return w.error();
    }
    co_return std::error_code{};
  }());
  EXPECT_TRUE(ec == std::errc::broken_pipe || ec == std::errc::connection_reset) << ec.message();
}

TEST_P(Tcp, Ipv6Loopback) {
  auto outcome = rt.block_on([]() -> task<std::pair<std::error_code, bool>> {
    auto l = tcp_listener::bind(address::loopback_v6(0));
    if (!l) co_return std::pair{l.error(), false};
    auto server = spawn(echo_server(*l, 1));
    const bool ok = co_await echo_client(*l->local_address(), 7, 1000);
    co_await server;
    co_return std::pair{std::error_code{}, ok};
  }());
  if (outcome.first == std::errc::address_not_available ||
      outcome.first == std::errc::address_family_not_supported) {
    GTEST_SKIP() << "no IPv6 loopback here";
  }
  EXPECT_FALSE(outcome.first) << outcome.first.message();
  EXPECT_TRUE(outcome.second);
}

// Regression guard: aborting a task blocked in read drops its stream's
// registration; data arriving afterwards must not wake (use) the dead task.
TEST_P(Tcp, AbortedReaderIsNeverWokenByLateData) {
  auto ok = rt.block_on([this]() -> task<bool> {
    auto l = tcp_listener::bind(address::loopback_v4(0));
    auto c = co_await tcp_stream::connect(*l->local_address());
    auto s = co_await l->accept();
    if (!c || !s) co_return false;
    auto c2 = co_await tcp_stream::connect(*l->local_address());
    auto s2 = co_await l->accept();
    if (!c2 || !s2) co_return false;
    const std::size_t before = rt.io().registration_count();
    auto reader = spawn([](tcp_stream s) -> task<void> {
      std::array<std::byte, 16> buf;
      (void)co_await s.read(buf);  // blocks: nothing was sent
    }(std::move(*s)));
    co_await yield_now();  // let it start and park in read
    reader.abort();
    bool dropped = false;
    for (int i = 0; i < 100 && !dropped; ++i) {  // its frame goes at the executor's pace
      co_await yield_now();
      dropped = rt.io().registration_count() == before - 1;
    }
    (void)co_await c->write_all(bytes("late"));  // an event nobody may receive
    // A later event on another connection proves the reactor went past it.
    (void)co_await c2->write_all(bytes("ping"));
    std::array<std::byte, 4> buf;
    const bool pinged = (co_await s2->read_exact(buf)).has_value();
    co_return dropped&& pinged;
  }());
  EXPECT_TRUE(ok);
}

INSTANTIATE_TEST_SUITE_P(Net, Tcp, ::testing::Values(io_mode::inline_turn, io_mode::reactor_thread),
                         [](const auto& info) { return test::to_string(info.param); });

}  // namespace
}  // namespace eddy::net
