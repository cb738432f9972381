// interval_test.cpp: ticks on the start + k * period grid, and the three
// missed-tick policies (skip is the default).
#include <eddy/timer/interval.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>

#include <eddy/timer/time_driver.hpp>

#include "runtime/src/thread_parker.hpp"
#include "tests/timer/timer_test_support.hpp"

namespace eddy {
namespace {

using namespace std::chrono_literals;
using timer::clock_mode;
using timer::time_driver;
using timer::test::counting_waker;
using timer::test::poll_once;
using timer::test::run;

struct Interval : timer::test::paused_driver_test {
  /// Polls one tick; ready value or nullopt.
  std::optional<time_driver::time_point> try_tick(interval& iv) {
    counting_waker cw;
    auto t = iv.tick();
    auto p = poll_once(drv, t, cw.make());
    // Pending leaves the waker registered: swap in a noop one before cw dies.
    if (p.is_pending()) {
      (void)poll_once(drv, t, noop_waker());
      return std::nullopt;
    }
    return p.value();
  }
};

TEST_F(Interval, FirstTickIsImmediateThenEveryPeriod) {
  eddy::detail::context_guard guard(nullptr, &drv);
  interval iv(10ms);
  EXPECT_EQ(iv.policy(), missed_tick_policy::skip);
  auto tick = iv.tick();
  EXPECT_EQ(run(drv, tick), t0);
  EXPECT_EQ(drv.now(), t0);
  for (int k = 1; k <= 5; ++k) {
    auto next = iv.tick();
    EXPECT_EQ(run(drv, next), t0 + k * 10ms);
    EXPECT_EQ(drv.now(), t0 + k * 10ms);
  }
  iv.reset();
}

TEST_F(Interval, SkipDeliversOneLateTickThenRejoinsTheGrid) {
  interval iv(t0, 10ms);  // skip by default
  EXPECT_EQ(try_tick(iv), t0);
  drv.advance(35ms);  // t0+10, +20, +30 missed
  drv.park(0ns);
  EXPECT_EQ(try_tick(iv), t0 + 10ms);  // the late tick, once
  EXPECT_EQ(try_tick(iv), std::nullopt) << "missed ticks are skipped, not burst";
  EXPECT_EQ(iv.next_tick(), t0 + 40ms);
  drv.advance(4ms);
  drv.park(0ns);
  EXPECT_EQ(try_tick(iv), std::nullopt);
  drv.advance(1ms);
  drv.park(0ns);
  EXPECT_EQ(try_tick(iv), t0 + 40ms);
  EXPECT_EQ(iv.next_tick(), t0 + 50ms);
  iv.reset();
}

TEST_F(Interval, SkipOnAGridPointGoesToTheNextOne) {
  interval iv(t0, 10ms);
  EXPECT_EQ(try_tick(iv), t0);
  drv.advance(30ms);
  EXPECT_EQ(try_tick(iv), t0 + 10ms);
  EXPECT_EQ(iv.next_tick(), t0 + 40ms);
  iv.reset();
}

TEST_F(Interval, BurstCatchesUpEveryMissedTick) {
  interval iv(t0, 10ms, missed_tick_policy::burst);
  EXPECT_EQ(try_tick(iv), t0);
  drv.advance(35ms);
  EXPECT_EQ(try_tick(iv), t0 + 10ms);
  EXPECT_EQ(try_tick(iv), t0 + 20ms);
  EXPECT_EQ(try_tick(iv), t0 + 30ms);
  EXPECT_EQ(try_tick(iv), std::nullopt);
  EXPECT_EQ(iv.next_tick(), t0 + 40ms);
  iv.reset();
}

TEST_F(Interval, DelayRestartsTheGridFromNow) {
  interval iv(t0, 10ms, missed_tick_policy::delay);
  EXPECT_EQ(try_tick(iv), t0);
  drv.advance(35ms);
  EXPECT_EQ(try_tick(iv), t0 + 10ms);
  EXPECT_EQ(try_tick(iv), std::nullopt);
  EXPECT_EQ(iv.next_tick(), t0 + 45ms);
  iv.reset();
}

TEST_F(Interval, OnTimeTicksAreNotLate) {
  // Ticks consumed as soon as they are due follow the grid under every policy.
  for (auto policy :
       {missed_tick_policy::skip, missed_tick_policy::burst, missed_tick_policy::delay}) {
    interval iv(drv.now(), 7ms, policy);
    auto start = drv.now();
    for (int k = 0; k < 4; ++k) {
      auto t = iv.tick();
      EXPECT_EQ(run(drv, t), start + k * 7ms);
    }
    iv.reset();
  }
}

TEST_F(Interval, ResetStartsOnePeriodFromNow) {
  eddy::detail::context_guard guard(nullptr, &drv);
  interval iv(t0, 10ms);
  EXPECT_EQ(try_tick(iv), t0);
  drv.advance(3ms);
  iv.reset();
  EXPECT_EQ(iv.next_tick(), t0 + 13ms);
  auto t = iv.tick();
  EXPECT_EQ(run(drv, t), t0 + 13ms);
  iv.reset();
}

TEST(IntervalArgs, NonPositivePeriodThrows) {
  EXPECT_THROW(interval(0ms), std::invalid_argument);
  EXPECT_THROW(interval(-1ms), std::invalid_argument);
}

}  // namespace
}  // namespace eddy
