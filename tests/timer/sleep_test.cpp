// sleep_test.cpp: sleep_for / sleep_until as leaf futures: registration at first
// poll, waker updates, cancellation by destruction, moves, shutdown, misuse.
#include <eddy/timer/sleep.hpp>

#include <gtest/gtest.h>

#include <memory>

#include <eddy/error.hpp>
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

struct Sleep : timer::test::paused_driver_test {};

TEST_F(Sleep, SleepForCompletesAfterExactlyTheDuration) {
  auto s = [&] {
    eddy::detail::context_guard guard(nullptr, &drv);  // now() is the paused clock
    return sleep_for(250ms);
  }();
  EXPECT_EQ(s.deadline(), t0 + 250ms);
  run(drv, s);
  EXPECT_EQ(drv.now(), t0 + 250ms);
}

TEST_F(Sleep, NowFollowsTheRuntimeClock) {
  eddy::detail::context_guard guard(nullptr, &drv);
  EXPECT_EQ(timer::now(), t0);
  drv.advance(3s);
  EXPECT_EQ(timer::now(), t0 + 3s);
}

TEST_F(Sleep, SubMillisecondDeadlineNeverFiresEarly) {
  auto s = sleep_until(t0 + 1500us);
  counting_waker cw;
  EXPECT_TRUE(poll_once(drv, s, cw.make()).is_pending());
  drv.advance(1ms);
  drv.park(0ns);
  EXPECT_EQ(cw.wakes(), 0);
  EXPECT_TRUE(poll_once(drv, s, cw.make()).is_pending());
  run(drv, s);
  EXPECT_GE(drv.now(), t0 + 1500us);
  EXPECT_LE(drv.now(), t0 + 2ms);  // rounded up to the next tick, no further
}

TEST_F(Sleep, PastDeadlineIsReadyAtFirstPollWithoutRegistering) {
  auto s = sleep_until(t0 - 1s);
  counting_waker cw;
  EXPECT_TRUE(poll_once(drv, s, cw.make()).is_ready());
  EXPECT_EQ(drv.timer_count(), 0u);
  EXPECT_EQ(cw.refs(), 0);
  auto zero = sleep_until(t0);
  EXPECT_TRUE(poll_once(drv, zero, cw.make()).is_ready());
}

TEST_F(Sleep, DestructionCancelsAndDropsTheWaker) {
  counting_waker cw;
  {
    auto s = sleep_until(t0 + 1s);
    EXPECT_TRUE(poll_once(drv, s, cw.make()).is_pending());
    EXPECT_EQ(drv.timer_count(), 1u);
    EXPECT_EQ(cw.refs(), 1);
  }
  EXPECT_EQ(drv.timer_count(), 0u);
  EXPECT_EQ(cw.refs(), 0);
  drv.advance(2s);
  drv.park(0ns);
  EXPECT_EQ(cw.wakes(), 0);
}

TEST_F(Sleep, RepollWithAnotherWakerReplacesIt) {
  counting_waker a, b;
  auto s = sleep_until(t0 + 10ms);
  EXPECT_TRUE(poll_once(drv, s, a.make()).is_pending());
  EXPECT_TRUE(poll_once(drv, s, b.make()).is_pending());
  EXPECT_EQ(a.refs(), 0) << "the replaced waker must be dropped";
  drv.advance(10ms);
  drv.park(0ns);
  EXPECT_EQ(a.wakes(), 0);
  EXPECT_EQ(b.wakes(), 1);
}

TEST_F(Sleep, RepollWithTheSameWakerDoesNotCloneAgain) {
  counting_waker cw;
  eddy::waker w = cw.make();
  auto s = sleep_until(t0 + 10ms);
  EXPECT_TRUE(poll_once(drv, s, w).is_pending());
  EXPECT_TRUE(poll_once(drv, s, w).is_pending());
  EXPECT_TRUE(poll_once(drv, s, w).is_pending());
  EXPECT_EQ(cw.clones(), 1);
  s.reset(t0);  // cancel
}

TEST_F(Sleep, MovingARegisteredSleepMovesItsTimer) {
  counting_waker cw;
  auto s = sleep_until(t0 + 20ms);
  EXPECT_TRUE(poll_once(drv, s, cw.make()).is_pending());
  auto moved = std::make_unique<sleep_future>(std::move(s));
  EXPECT_EQ(drv.timer_count(), 1u);
  EXPECT_FALSE(s.is_elapsed());
  {
    auto gone = std::move(s);  // the moved-from sleep is idle: nothing to cancel
  }
  EXPECT_EQ(drv.timer_count(), 1u);
  drv.advance(20ms);
  drv.park(0ns);
  EXPECT_EQ(cw.wakes(), 1);
  EXPECT_TRUE(moved->is_elapsed());
  EXPECT_TRUE(poll_once(drv, *moved, cw.make()).is_ready());
}

TEST_F(Sleep, MovingAFiredSleepKeepsItReady) {
  auto s = sleep_until(t0 + 1ms);
  run(drv, s);
  sleep_future moved(std::move(s));
  counting_waker cw;
  EXPECT_TRUE(poll_once(drv, moved, cw.make()).is_ready());
}

TEST_F(Sleep, ResetRearms) {
  counting_waker cw;
  auto s = sleep_until(t0 + 5ms);
  run(drv, s);
  s.reset(drv.now() + 5ms);
  EXPECT_FALSE(s.is_elapsed());
  EXPECT_TRUE(poll_once(drv, s, cw.make()).is_pending());
  run(drv, s);
  EXPECT_EQ(drv.now(), t0 + 10ms);
}

TEST_F(Sleep, IsRegisteredFromAPendingPollUntilFiredOrReset) {
  counting_waker cw;
  auto s = sleep_until(t0 + 5ms);
  EXPECT_FALSE(s.is_registered());  // not polled yet
  EXPECT_TRUE(poll_once(drv, s, cw.make()).is_pending());
  EXPECT_TRUE(s.is_registered());
  drv.advance(5ms);
  drv.park(0ns);
  EXPECT_EQ(cw.wakes(), 1);
  EXPECT_FALSE(s.is_registered());  // fired
  EXPECT_TRUE(s.is_elapsed());
  s.reset(drv.now() + 5ms);
  EXPECT_FALSE(s.is_registered());
  EXPECT_TRUE(poll_once(drv, s, cw.make()).is_pending());
  EXPECT_TRUE(s.is_registered());
  s.reset(drv.now() + 1ms);  // cancels
  EXPECT_FALSE(s.is_registered());
  EXPECT_EQ(drv.timer_count(), 0u);
  auto past = sleep_until(t0);
  EXPECT_TRUE(poll_once(drv, past, cw.make()).is_ready());
  EXPECT_FALSE(past.is_registered());  // ready at once: never registered
}

TEST_F(Sleep, HugeDurationSaturatesAndNeverFires) {
  eddy::detail::context_guard guard(nullptr, &drv);
  auto s = sleep_for(std::chrono::hours::max());
  EXPECT_EQ(s.deadline(), time_driver::time_point::max());
  counting_waker cw;
  EXPECT_TRUE(poll_once(drv, s, cw.make()).is_pending());
  for (int i = 0; i < 5; ++i) drv.park(24h * 365 * 3);  // 15 years
  EXPECT_EQ(cw.wakes(), 0);
  EXPECT_TRUE(poll_once(drv, s, cw.make()).is_pending());
}

TEST(SleepShutdown, DriverDestroyedUnderARegisteredSleep) {
  // Regression guard: a sleep outliving its runtime must not touch the dead
  // driver; it completes with runtime_shutdown.
  counting_waker cw;
  auto drv = std::make_unique<time_driver>(std::make_unique<eddy::detail::thread_parker>(),
                                           clock_mode::paused);
  auto s = sleep_until(drv->now() + 1s);
  EXPECT_TRUE(poll_once(*drv, s, cw.make()).is_pending());
  drv.reset();
  EXPECT_EQ(cw.wakes(), 1);
  EXPECT_EQ(cw.refs(), 0);
  EXPECT_TRUE(s.is_elapsed());
  EXPECT_EQ(s.error(), errc::runtime_shutdown);
  eddy::waker noop = noop_waker();
  context cx(noop);
  EXPECT_TRUE(s.poll(cx).is_ready());
}

TEST(SleepDrivers, EachSleepStaysWithTheDriverThatRegisteredIt) {
  // A sleep names its driver by id, not pointer: with drivers created and
  // destroyed around it (ids reused), cancel and move still reach the right one.
  auto make = [] {
    return std::make_unique<time_driver>(std::make_unique<eddy::detail::thread_parker>(),
                                         clock_mode::paused);
  };
  auto a = make();
  auto b = make();
  counting_waker cw;
  auto sa = sleep_until(a->now() + 1s);
  auto sb = sleep_until(b->now() + 2s);
  EXPECT_TRUE(poll_once(*a, sa, cw.make()).is_pending());
  EXPECT_TRUE(poll_once(*b, sb, cw.make()).is_pending());
  a.reset();  // sa completes with runtime_shutdown; its id is free again
  EXPECT_EQ(sa.error(), errc::runtime_shutdown);
  auto c = make();
  EXPECT_EQ(b->timer_count(), 1u);
  sleep_future moved(std::move(sb));
  EXPECT_EQ(b->timer_count(), 1u);
  EXPECT_EQ(c->timer_count(), 0u);
  moved.reset(b->now());  // cancels on b
  EXPECT_EQ(b->timer_count(), 0u);
  auto sc = sleep_until(c->now() + 3ms);
  run(*c, sc);
  EXPECT_TRUE(sc.is_elapsed());
  EXPECT_EQ(b->timer_count(), 0u);
}

TEST(SleepLayout, ASleepIsItsTimerEntryOnly) {
  // What keeps a sleeping task's coroutine frame small (many_sleepers bench).
  static_assert(sizeof(sleep_future) <= 48);
  auto s = sleep_until(timer::clock::time_point(std::chrono::nanoseconds(123'456'789)));
  EXPECT_EQ(s.deadline().time_since_epoch(), std::chrono::nanoseconds(123'456'789));
}

TEST(SleepDeathTest, PolledOutsideARuntimeAbortsWithAMessage) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto s = sleep_for(1ms);
  eddy::waker noop = noop_waker();
  context cx(noop);
  EXPECT_DEATH((void)s.poll(cx), "polled on a thread that runs no eddy runtime");
}

}  // namespace
}  // namespace eddy
