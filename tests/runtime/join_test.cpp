#include <eddy/join.hpp>

#include <gtest/gtest.h>

#include <stdexcept>
#include <tuple>
#include <variant>
#include <vector>

#include "test_futures.hpp"

namespace eddy {
namespace {

struct destructor_counter {
  int* count;
  explicit destructor_counter(int* c) : count(c) {}
  destructor_counter(const destructor_counter&) = delete;
  ~destructor_counter() { ++*count; }
};

task<int> after_yields(int n, int value, std::vector<int>* log) {
  for (int i = 0; i < n; ++i) co_await yield_now();
  if (log) log->push_back(value);
  co_return value;
}

TEST(Join, WaitsForAllAndKeepsOrder) {
  std::vector<int> log;
  auto main = [&]() -> task<std::tuple<int, int, std::monostate>> {
    auto v = []() -> task<> { co_return; };
    co_return co_await join(after_yields(3, 1, &log), after_yields(1, 2, &log), v());
  };
  auto [a, b, c] = block_on(main());
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 2);
  (void)c;
  EXPECT_EQ(log, (std::vector<int>{2, 1}));  // ran concurrently: the shorter finished first
}

TEST(Join, ExceptionPropagatesAndDestroysOthers) {
  int destroyed = 0;
  test::manual_event never;
  auto main = [&]() -> task<bool> {
    auto waits = [](int* d, test::manual_event* ev) -> task<int> {
      destructor_counter c(d);
      co_await ev->wait();
      co_return 0;
    };
    auto fails = []() -> task<int> {
      co_await yield_now();
      throw std::runtime_error("x");
    };
    try {
      co_await join(waits(&destroyed, &never), fails());
    } catch (const std::runtime_error&) {
      co_return true;
    }
    co_return false;
  };
  EXPECT_TRUE(block_on(main()));
  EXPECT_EQ(destroyed, 1);
  never.stored.reset();
}

TEST(Select, FirstReadyWinsAndLosersAreCancelled) {
  int destroyed = 0;
  test::manual_event never;
  auto main = [&]() -> task<std::variant<int, int>> {
    auto waits = [](int* d, test::manual_event* ev) -> task<int> {
      destructor_counter c(d);
      co_await ev->wait();
      co_return -1;
    };
    auto sel = select(waits(&destroyed, &never), after_yields(2, 7, nullptr));
    auto r = co_await sel;
    // Losers are cancelled when select completes, not when it is destroyed.
    EXPECT_EQ(destroyed, 1);
    co_return r;
  };
  auto r = block_on(main());
  EXPECT_EQ(r.index(), 1u);
  EXPECT_EQ(std::get<1>(r), 7);
  EXPECT_EQ(destroyed, 1);
  never.stored.reset();
}

TEST(Select, LeftmostReadyWinsWhenSeveralAreReady) {
  auto r = block_on(select(after_yields(0, 1, nullptr), after_yields(0, 2, nullptr)));
  EXPECT_EQ(r.index(), 0u);
  EXPECT_EQ(std::get<0>(r), 1);
}

TEST(Select, OverJoinHandlesAbortsNothingButDropsHandles) {
  auto main = []() -> task<int> {
    auto slow = spawn(after_yields(50, 1, nullptr));
    auto fast = spawn(after_yields(1, 2, nullptr));
    auto r = co_await select(std::move(slow), std::move(fast));
    co_return static_cast<int>(r.index());
  };
  EXPECT_EQ(block_on(main()), 1);
}

}  // namespace
}  // namespace eddy
