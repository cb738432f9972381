// address_test.cpp: address parsing and formatting, and resolve().
#include <gtest/gtest.h>
#include <eddy/executor.hpp>
#include <eddy/net/address.hpp>
#include <eddy/net/resolve.hpp>
#include <eddy/task.hpp>

#include <algorithm>

#include "tests/reactor/runtime_harness.hpp"

namespace eddy::net {
namespace {

TEST(Address, ParsesV4AndV6) {
  auto a = address::parse("127.0.0.1:8080");
  ASSERT_TRUE(a);
  EXPECT_EQ(*a, address::loopback_v4(8080));
  EXPECT_EQ(a->to_string(), "127.0.0.1:8080");

  auto b = address::parse("[::1]:443");
  ASSERT_TRUE(b);
  EXPECT_EQ(*b, address::loopback_v6(443));
  EXPECT_EQ(b->to_string(), "[::1]:443");

  auto c = address::parse("[fe80::1%3]:1");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->scope_id(), 3u);
  EXPECT_EQ(c->ip_string(), "fe80::1%3");
}

TEST(Address, RejectsMalformed) {
  for (const char* bad :
       {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "1.2.3:80", "::1:80", "[::1]80",
        "[1.2.3.4]:80", "[::1]:x", "host:80", "127.0.0.1:80x", "[::1"}) {
    EXPECT_FALSE(address::parse(bad)) << bad;
  }
  EXPECT_FALSE(address::parse_ip("256.0.0.1", 1));
}

TEST(Address, ParseIpAndWithPort) {
  auto a = address::parse_ip("10.1.2.3", 7);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_v4());
  EXPECT_EQ(a->with_port(9).port(), 9);
  EXPECT_EQ(address::any_v6(5).to_string(), "[::]:5");
}

TEST(Resolve, LocalhostAndLiterals) {
  test::runtime_harness rt(test::io_mode::inline_turn);
  auto r = rt.block_on(
      []() -> task<std::pair<result<std::vector<address>>, result<std::vector<address>>>> {
        auto a = co_await resolve("localhost", 80);
        auto b = co_await resolve("::1", 81);
        co_return std::pair{std::move(a), std::move(b)};
      }());
  ASSERT_TRUE(r.first.has_value()) << r.first.error().message();
  EXPECT_FALSE(r.first->empty());
  EXPECT_TRUE(std::any_of(r.first->begin(), r.first->end(), [](const address& a) {
    return a == address::loopback_v4(80) || a == address::loopback_v6(80);
  }));
  ASSERT_TRUE(r.second.has_value());
  EXPECT_EQ(*r.second, std::vector{address::loopback_v6(81)});
}

}  // namespace
}  // namespace eddy::net
