// timer_runtime_test.cpp: the timer futures under the real executor: tasks that
// co_await sleep_for / timeout / interval on a current-thread executor whose
// driver is a paused time_driver (exact virtual time, no real waiting), plus one
// short sleep on the real clock.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <utility>
#include <vector>

#include <eddy/runtime.hpp>
#include <eddy/timer.hpp>

#include "runtime/src/thread_parker.hpp"

namespace eddy {
namespace {

using namespace std::chrono_literals;
using timer::clock_mode;
using timer::time_driver;

struct TimerRuntime : ::testing::Test {
  TimerRuntime() {
    auto drv = std::make_unique<time_driver>(std::make_unique<eddy::detail::thread_parker>(),
                                             clock_mode::paused);
    timers = drv.get();
    ex = std::make_unique<current_thread_executor>(std::move(drv));
    t0 = timers->now();
  }
  ~TimerRuntime() override {
    EXPECT_EQ(timers->timer_count(), 0u) << "timers left at teardown";
    ex.reset();
  }
  time_driver* timers;
  std::unique_ptr<current_thread_executor> ex;
  time_driver::time_point t0;
};

TEST_F(TimerRuntime, SequentialSleepsAddUpExactly) {
  auto main = []() -> task<timer::clock::time_point> {
    co_await sleep_for(100ms);
    co_await sleep_for(200ms);
    co_await sleep_for(300ms);
    co_return timer::now();
  };
  EXPECT_EQ(ex->block_on(main()), t0 + 600ms);
}

TEST_F(TimerRuntime, ManySleepersWakeInDeadlineOrder) {
  std::vector<int> order;
  auto main = [&]() -> task<> {
    auto sleeper = [](int ms, std::vector<int>* out) -> task<> {
      co_await sleep_for(std::chrono::milliseconds(ms));
      out->push_back(ms);
    };
    std::vector<join_handle<void>> handles;
    for (int i = 0; i < 200; ++i) {
      int ms = 1 + (i * 7919) % 5000;  // distinct, scattered over 5 s
      handles.push_back(spawn(sleeper(ms, &order)));
    }
    for (auto& h : handles) co_await h;
  };
  ex->block_on(main());
  ASSERT_EQ(order.size(), 200u);
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
  EXPECT_EQ(timers->now(), t0 + std::chrono::milliseconds(order.back()));
}

TEST_F(TimerRuntime, TimeoutCancelsASlowTask) {
  auto main = []() -> task<std::error_code> {
    auto slow = []() -> task<int> {
      co_await sleep_for(1h);
      co_return 1;
    };
    auto r = co_await timeout(250ms, slow());
    co_return r.error();
  };
  EXPECT_EQ(ex->block_on(main()), errc::timed_out);
  EXPECT_EQ(timers->now(), t0 + 250ms);
}

TEST_F(TimerRuntime, TimeoutLetsAFastTaskThrough) {
  auto main = []() -> task<int> {
    auto fast = []() -> task<int> {
      co_await sleep_for(10ms);
      co_return 7;
    };
    auto r = co_await timeout(1s, fast());
    co_return r ? *r : -1;
  };
  EXPECT_EQ(ex->block_on(main()), 7);
  EXPECT_EQ(timers->now(), t0 + 10ms);
}

TEST_F(TimerRuntime, IntervalTicksOnItsGrid) {
  auto main = []() -> task<std::vector<timer::clock::time_point>> {
    std::vector<timer::clock::time_point> ticks;
    interval every(40ms);
    for (int i = 0; i < 4; ++i) ticks.push_back(co_await every.tick());
    every.reset();
    co_return ticks;
  };
  auto ticks = ex->block_on(main());
  ASSERT_EQ(ticks.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(ticks[i], t0 + i * 40ms);
}

TEST(TimerRuntimeRealClock, ShortSleepTakesAtLeastItsDuration) {
  // The one test on the real clock: the park-to-deadline path for real.
  current_thread_executor ex(
      std::make_unique<time_driver>(std::make_unique<eddy::detail::thread_parker>()));
  auto start = std::chrono::steady_clock::now();
  ex.block_on(sleep_for(15ms));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 15ms);
  EXPECT_LT(took, 10s);  // a generous bound: parked, not lost
}

TEST(TimerRuntimeRealClock, RecentNowAfterATimerWakeIsPastItsDeadline) {
  // A task woken by a timer sees the turn that fired it: recent_now() is at or
  // after the deadline (a timeout set from it does not start before the wake
  // that caused it) and no later than the real time.
  current_thread_executor ex(
      std::make_unique<time_driver>(std::make_unique<eddy::detail::thread_parker>()));
  auto main = []() -> task<std::pair<timer::clock::time_point, timer::clock::time_point>> {
    auto s = sleep_for(3ms);
    const auto deadline = s.deadline();
    co_await std::move(s);
    co_return std::pair{deadline, timer::recent_now()};
  };
  auto [deadline, seen] = ex.block_on(main());
  EXPECT_GE(seen, deadline);
  EXPECT_LE(seen, std::chrono::steady_clock::now());
}

TEST(TimerNoRuntime, RecentNowIsTheSteadyClock) {
  auto before = std::chrono::steady_clock::now();
  auto t = timer::recent_now();
  EXPECT_GE(t, before);
  EXPECT_LE(t, std::chrono::steady_clock::now());
}

}  // namespace
}  // namespace eddy
