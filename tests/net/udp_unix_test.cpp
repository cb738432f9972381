// udp_unix_test.cpp: UDP and Unix-domain stream sockets, in both reactor drive modes.
#include <gtest/gtest.h>
#include <eddy/executor.hpp>
#include <eddy/join_handle.hpp>
#include <eddy/net/address.hpp>
#include <eddy/net/udp_socket.hpp>
#include <eddy/net/unix.hpp>
#include <eddy/task.hpp>

#include <array>
#include <cstdlib>
#include <string>
#include <string_view>

#include <unistd.h>

#include "tests/reactor/runtime_harness.hpp"

namespace eddy::net {
namespace {

using test::io_mode;
using test::runtime_harness;

std::span<const std::byte> bytes(std::string_view s) { return std::as_bytes(std::span(s)); }
std::string text(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

class Sockets : public ::testing::TestWithParam<io_mode> {
 protected:
  runtime_harness rt{GetParam()};
};

struct udp_outcome {
  std::error_code ec;
  std::string got_by_b, got_by_a;
  bool from_matches = false;
};

task<udp_outcome> udp_round_trip(address loopback) {
  udp_outcome o;
  auto a = udp_socket::bind(loopback);
  auto b = udp_socket::bind(loopback);
  if (!a || !b) {
    o.ec = a ? b.error() : a.error();
    co_return o;
  }
  const address at_a = *a->local_address(), at_b = *b->local_address();
  // b waits first (pending), then a sends: the wake path, not just the fast path.
  auto receiver = spawn([](udp_socket& b) -> task<result<std::pair<std::string, address>>> {
    std::array<std::byte, 64> buf;
    auto d = co_await b.recv_from(buf);
    if (!d) co_return d.error();
    co_return std::pair{text(std::span(buf).first(d->size)), d->from};
  }(*b));
  auto sent = co_await a->send_to(bytes("ping"), at_b);
  if (!sent) {
    o.ec = sent.error();
    co_return o;
  }
  auto got = co_await receiver;
  if (!got) {
    o.ec = got.error();
    co_return o;
  }
  o.got_by_b = got->first;
  o.from_matches = got->second == at_a;
  // Connected mode: send/recv with the default peer.
  if (auto r = b->connect(at_a); !r) {
    o.ec = r.error();
    co_return o;
  }
  (void)co_await b->send(bytes("pong"));
  std::array<std::byte, 64> buf;
  auto n = co_await a->recv(buf);
  if (n) o.got_by_a = text(std::span(buf).first(*n));
  co_return o;
}

TEST_P(Sockets, UdpRoundTripV4) {
  auto o = rt.block_on(udp_round_trip(address::loopback_v4(0)));
  EXPECT_FALSE(o.ec) << o.ec.message();
  EXPECT_EQ(o.got_by_b, "ping");
  EXPECT_TRUE(o.from_matches);
  EXPECT_EQ(o.got_by_a, "pong");
}

TEST_P(Sockets, UdpRoundTripV6) {
  auto o = rt.block_on(udp_round_trip(address::loopback_v6(0)));
  if (o.ec == std::errc::address_not_available || o.ec == std::errc::address_family_not_supported) {
    GTEST_SKIP() << "no IPv6 loopback here";
  }
  EXPECT_FALSE(o.ec) << o.ec.message();
  EXPECT_EQ(o.got_by_b, "ping");
  EXPECT_TRUE(o.from_matches);
  EXPECT_EQ(o.got_by_a, "pong");
}

class temp_dir {
 public:
  temp_dir() {
    std::string tmpl = ::testing::TempDir() + "eddy-unix-XXXXXX";
    if (::mkdtemp(tmpl.data())) path_ = tmpl;
  }
  ~temp_dir() {
    if (!path_.empty()) ::rmdir(path_.c_str());
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST_P(Sockets, UnixStreamRoundTrip) {
  temp_dir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string path = dir.path() + "/s";
  struct outcome {
    std::error_code ec;
    std::string server_got, client_got;
    std::error_code second_bind;
  };
  auto o = rt.block_on([](std::string path) -> task<outcome> {
    outcome o;
    auto l = unix_listener::bind(path);
    if (!l) {
      o.ec = l.error();
      co_return o;
    }
    o.second_bind = unix_listener::bind(path).error();
    auto server = spawn([](unix_listener& l) -> task<std::string> {
      auto s = co_await l.accept();
      if (!s) co_return "accept: " + s.error().message();
      std::array<std::byte, 5> buf;
      if (!co_await s->read_exact(buf)) co_return "read failed";
      (void)co_await s->write_all(bytes("world"));
      co_return text(buf);
    }(*l));
    auto c = co_await unix_stream::connect(path);
    if (!c) {
      o.ec = c.error();
      co_return o;
    }
    (void)co_await c->write_all(bytes("hello"));
    std::array<std::byte, 5> buf;
    if (co_await c->read_exact(buf)) o.client_got = text(buf);
    o.server_got = co_await server;
    co_return o;
  }(path));
  ::unlink(path.c_str());
  EXPECT_FALSE(o.ec) << o.ec.message();
  EXPECT_EQ(o.server_got, "hello");
  EXPECT_EQ(o.client_got, "world");
  EXPECT_EQ(o.second_bind, std::errc::address_in_use);
}

TEST_P(Sockets, UnixPairAndConnectToMissingPath) {
  struct outcome {
    std::string got;
    std::error_code missing;
  };
  auto o = rt.block_on([]() -> task<outcome> {
    outcome o;
    auto p = unix_stream::pair();
    if (!p) co_return o;
    (void)co_await p->first.write_all(bytes("abc"));
    p->first.close();
    std::array<std::byte, 8> buf;
    for (;;) {
      auto n = co_await p->second.read(buf);
      if (!n || *n == 0) break;
      o.got += text(std::span(buf).first(*n));
    }
    auto c = co_await unix_stream::connect("/nonexistent/eddy/socket");
    o.missing = c.error();
    co_return o;
  }());
  EXPECT_EQ(o.got, "abc");
  EXPECT_EQ(o.missing, std::errc::no_such_file_or_directory);
}

INSTANTIATE_TEST_SUITE_P(Net, Sockets,
                         ::testing::Values(io_mode::inline_turn, io_mode::reactor_thread),
                         [](const auto& info) { return test::to_string(info.param); });

}  // namespace
}  // namespace eddy::net
