// time_driver_test.cpp: parking to the next deadline, auto-advance of the paused
// clock, unpark only for earlier deadlines, and registrations from other threads.
#include <eddy/timer/time_driver.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include <eddy/timer/sleep.hpp>

#include "runtime/src/thread_parker.hpp"
#include "tests/timer/timer_test_support.hpp"

namespace eddy::timer {
namespace {

using namespace std::chrono_literals;
using test::counting_waker;
using test::fake_driver;
using test::poll_once;

struct paused_fixture : ::testing::Test {
  paused_fixture()
      : drv(std::make_unique<eddy::detail::thread_parker>(), clock_mode::paused), t0(drv.now()) {}
  ~paused_fixture() override { EXPECT_EQ(drv.timer_count(), 0u) << "timers left at teardown"; }
  time_driver drv;
  time_driver::time_point t0;
};

using TimeDriverPaused = paused_fixture;

TEST(TimeDriver, ServiceTimerIsItselfOthersForward) {
  auto inner = std::make_unique<fake_driver>();
  auto* fake = inner.get();
  time_driver drv(std::move(inner));
  EXPECT_EQ(drv.service(driver_service::timer), &drv);
  EXPECT_EQ(drv.service(driver_service::io), &fake->io_service);
}

TEST(TimeDriver, UnparkForwardsToInner) {
  auto inner = std::make_unique<fake_driver>();
  auto* fake = inner.get();
  time_driver drv(std::move(inner));
  drv.unpark();
  EXPECT_EQ(fake->unparks(), 1);
  drv.park(std::nullopt);  // returns: the unpark is pending
}

TEST_F(TimeDriverPaused, ClockStandsStillUntilAdvanced) {
  auto a = drv.now();
  drv.park(0ns);
  EXPECT_EQ(drv.now(), a);
  drv.advance(5ms);
  EXPECT_EQ(drv.now(), a + 5ms);
}

TEST_F(TimeDriverPaused, FiresExactlyAtTheDeadline) {
  counting_waker cw;
  auto s = sleep_until(t0 + 100ms);
  EXPECT_TRUE(poll_once(drv, s, cw.make()).is_pending());
  EXPECT_EQ(drv.timer_count(), 1u);
  drv.advance(99ms);
  drv.park(0ns);
  EXPECT_EQ(cw.wakes(), 0);
  EXPECT_TRUE(poll_once(drv, s, cw.make()).is_pending());
  drv.advance(1ms);
  drv.park(0ns);
  EXPECT_EQ(cw.wakes(), 1);
  EXPECT_TRUE(s.is_elapsed());
  EXPECT_TRUE(poll_once(drv, s, cw.make()).is_ready());
  EXPECT_EQ(cw.refs(), 0);
}

TEST_F(TimeDriverPaused, AutoAdvanceJumpsToEachDeadlineInOrder) {
  counting_waker a, b, c;
  auto sa = sleep_until(t0 + 5s);
  auto sb = sleep_until(t0 + 10s);
  auto sc = sleep_until(t0 + 36h);
  EXPECT_TRUE(poll_once(drv, sc, c.make()).is_pending());
  EXPECT_TRUE(poll_once(drv, sa, a.make()).is_pending());
  EXPECT_TRUE(poll_once(drv, sb, b.make()).is_pending());

  drv.park(std::nullopt);
  EXPECT_EQ(drv.now(), t0 + 5s);
  EXPECT_EQ(a.wakes(), 1);
  EXPECT_EQ(b.wakes(), 0);

  drv.park(std::nullopt);
  EXPECT_EQ(drv.now(), t0 + 10s);
  EXPECT_EQ(b.wakes(), 1);

  // 36 h away sits on level 4: auto-advance goes through its cascade points in
  // one park and stops exactly at the deadline.
  drv.park(std::nullopt);
  EXPECT_EQ(c.wakes(), 1);
  EXPECT_EQ(drv.now(), t0 + 36h);
  EXPECT_TRUE(sc.is_elapsed());
}

TEST_F(TimeDriverPaused, ParkTimeoutBoundsAutoAdvance) {
  counting_waker cw;
  auto s = sleep_until(t0 + 10s);
  EXPECT_TRUE(poll_once(drv, s, cw.make()).is_pending());
  drv.park(1s);
  EXPECT_EQ(drv.now(), t0 + 1s);
  EXPECT_EQ(cw.wakes(), 0);
  drv.park(0ns);  // a non-blocking turn never moves the clock
  EXPECT_EQ(drv.now(), t0 + 1s);
}

TEST_F(TimeDriverPaused, UnparkPreventsAutoAdvance) {
  counting_waker cw;
  auto s = sleep_until(t0 + 10s);
  EXPECT_TRUE(poll_once(drv, s, cw.make()).is_pending());
  drv.unpark();
  drv.park(std::nullopt);
  EXPECT_EQ(drv.now(), t0);
  EXPECT_EQ(cw.wakes(), 0);
}

TEST(TimeDriver, PausedClockWithOnlyNeverTimersBlocksUntilUnpark) {
  auto inner = std::make_unique<fake_driver>();
  auto* fake = inner.get();
  time_driver drv(std::move(inner), clock_mode::paused);
  auto t0 = drv.now();
  counting_waker cw;
  auto s = sleep_until(time_driver::time_point::max());
  EXPECT_TRUE(poll_once(drv, s, cw.make()).is_pending());
  EXPECT_EQ(drv.timer_count(), 1u);
  EXPECT_FALSE(drv.next_deadline().has_value());
  std::thread waker_thread([&] {
    fake->wait_until_parked();  // blocked, not lapping the wheel
    drv.unpark();
  });
  drv.park(std::nullopt);
  waker_thread.join();
  EXPECT_EQ(drv.now(), t0);
  EXPECT_EQ(cw.wakes(), 0);
}

TEST_F(TimeDriverPaused, NextDeadlineNeverLaterThanTheTimer) {
  EXPECT_FALSE(drv.next_deadline().has_value());
  counting_waker cw;
  auto s = sleep_until(t0 + 40ms);
  EXPECT_TRUE(poll_once(drv, s, cw.make()).is_pending());
  auto next = drv.next_deadline();
  ASSERT_TRUE(next.has_value());
  EXPECT_LE(*next, t0 + 40ms);
  EXPECT_GT(*next, t0);
}

TEST_F(TimeDriverPaused, ManyTimersFireInBatches) {
  // More than one batch of wakers (the driver wakes 32 per unlock).
  counting_waker cw;
  std::vector<sleep_future> sleeps;
  sleeps.reserve(100);
  for (int i = 0; i < 100; ++i) {
    sleeps.push_back(sleep_until(t0 + std::chrono::milliseconds(1 + i % 3)));
    EXPECT_TRUE(poll_once(drv, sleeps.back(), cw.make()).is_pending());
  }
  EXPECT_EQ(drv.timer_count(), 100u);
  drv.advance(3ms);
  drv.park(0ns);
  EXPECT_EQ(cw.wakes(), 100);
  EXPECT_EQ(cw.refs(), 0);
}

TEST(TimeDriver, RealClockParksUntilTheDeadlineRoundedUpToWholeMs) {
  auto inner = std::make_unique<fake_driver>();  // records, never waits
  auto* fake = inner.get();
  time_driver drv(std::move(inner));
  counting_waker cw;
  auto s = sleep_until(drv.now() + 300us);
  if (poll_once(drv, s, cw.make()).is_ready()) {
    GTEST_SKIP() << "300 us passed before the poll";
  }
  drv.park(std::nullopt);
  auto parked_at_deadline = drv.now() >= s.deadline();
  auto parks = fake->parks();
  ASSERT_EQ(parks.size(), 1u);
  ASSERT_TRUE(parks[0].has_value());
  EXPECT_EQ(*parks[0] % 1ms, 0ns) << "not whole milliseconds: " << parks[0]->count();
  // 0 only if the deadline had passed by then; never a sub-millisecond spin.
  if (*parks[0] == 0ns) {
    EXPECT_TRUE(parked_at_deadline);
  }
  EXPECT_LE(*parks[0], 2ms);
}

TEST(TimeDriver, RealClockTimeoutShorterThanTimerWins) {
  auto inner = std::make_unique<fake_driver>();
  auto* fake = inner.get();
  time_driver drv(std::move(inner));
  counting_waker cw;
  auto s = sleep_for(1h);
  EXPECT_TRUE(poll_once(drv, s, cw.make()).is_pending());
  drv.park(5ms);
  drv.park(std::nullopt);
  auto parks = fake->parks();
  ASSERT_EQ(parks.size(), 2u);
  EXPECT_EQ(parks[0], std::optional<std::chrono::nanoseconds>(5ms));
  ASSERT_TRUE(parks[1].has_value());
  // Until the deadline, or an earlier wheel cascade point (1 h sits on level 3,
  // whose slots span 262 s), never later.
  EXPECT_GT(*parks[1], 50min);
  EXPECT_LE(*parks[1], 1h + 1ms);
  EXPECT_EQ(cw.wakes(), 0);
}

TEST(TimeDriver, HugeParkTimeoutsSaturate) {
  // Regression guard: now + nanoseconds::max() overflowed (UBSan) in both modes.
  auto inner = std::make_unique<fake_driver>();
  auto* fake = inner.get();
  time_driver real(std::move(inner));
  real.park(std::chrono::nanoseconds::max());
  EXPECT_EQ(fake->parks().size(), 1u);

  time_driver paused(std::make_unique<eddy::detail::thread_parker>(), clock_mode::paused);
  auto t0 = paused.now();
  counting_waker cw;
  auto s = sleep_until(t0 + 2s);
  EXPECT_TRUE(poll_once(paused, s, cw.make()).is_pending());
  paused.park(std::chrono::nanoseconds::max());
  EXPECT_EQ(paused.now(), t0 + 2s);
  EXPECT_EQ(cw.wakes(), 1);
}

TEST(TimeDriver, RecentNowIsTheLastTurnsTimeBetweenTurns) {
  using sc = std::chrono::steady_clock;
  time_driver drv(std::make_unique<fake_driver>());
  // Before its first turn the driver has no turn time: the clock is read.
  auto before = sc::now();
  auto fresh = drv.recent_now();
  EXPECT_GE(fresh, before);
  EXPECT_LE(fresh, sc::now());

  auto a = sc::now();
  drv.park(0ns);
  auto b = sc::now();
  auto turn = drv.recent_now();
  EXPECT_GE(turn, a);
  EXPECT_LE(turn, b);
  while (sc::now() <= b) {
  }
  // Time has moved on; between turns recent_now() reads no clock.
  EXPECT_EQ(drv.recent_now(), turn);
  EXPECT_LT(drv.recent_now(), drv.now());

  drv.park(0ns);  // the next turn moves it
  EXPECT_GT(drv.recent_now(), turn);
}

TEST(TimeDriver, RecentNowReadsTheClockWhileTheDriverIsParked) {
  // Another thread may run tasks while one thread sleeps in the driver (the
  // multi-thread runtime): the last turn's time may be old by then.
  auto inner = std::make_unique<fake_driver>();
  auto* fake = inner.get();
  time_driver drv(std::move(inner));
  drv.park(0ns);
  auto turn = drv.recent_now();
  std::thread parker([&] { drv.park(std::nullopt); });
  fake->wait_until_parked();
  auto during = std::chrono::steady_clock::now();
  EXPECT_GT(during, turn);
  EXPECT_GE(drv.recent_now(), during);
  drv.unpark();
  parker.join();
  EXPECT_GE(drv.recent_now(), during);  // the turn that ended the park
}

TEST_F(TimeDriverPaused, RecentNowIsNowOnAPausedClock) {
  drv.park(0ns);
  drv.advance(5ms);  // no turn since
  EXPECT_EQ(drv.recent_now(), t0 + 5ms);
}

TEST(TimeDriver, InsertFromAnotherThreadUnparksOnlyForAnEarlierDeadline) {
  auto inner = std::make_unique<fake_driver>(/*block_finite=*/true);
  auto* fake = inner.get();
  time_driver drv(std::move(inner));
  counting_waker cw;
  auto first = sleep_for(1h);
  EXPECT_TRUE(poll_once(drv, first, cw.make()).is_pending());

  std::thread parker([&] { drv.park(std::nullopt); });
  fake->wait_until_parked();  // parked for about an hour

  auto later = sleep_for(2h);
  EXPECT_TRUE(poll_once(drv, later, cw.make()).is_pending());
  EXPECT_EQ(fake->unparks(), 0) << "a later deadline must not wake the driver";

  auto earlier = sleep_for(1min);
  EXPECT_TRUE(poll_once(drv, earlier, cw.make()).is_pending());
  EXPECT_EQ(fake->unparks(), 1);
  parker.join();  // the unpark released it

  // Not parked now: a registration costs no wake-up at all.
  auto idle = sleep_for(1s);
  EXPECT_TRUE(poll_once(drv, idle, cw.make()).is_pending());
  EXPECT_EQ(fake->unparks(), 1);
  EXPECT_EQ(cw.wakes(), 0);
}

TEST(TimeDriver, CrossThreadInsertWakesADriverParkedWithoutTimers) {
  auto inner = std::make_unique<fake_driver>();
  auto* fake = inner.get();
  time_driver drv(std::move(inner), clock_mode::paused);
  counting_waker cw;
  std::atomic<bool> done{false};
  std::thread runner([&] {
    // Parked indefinitely (no timer); then auto-advances to the new deadline.
    while (!done.load()) drv.park(std::nullopt);
  });
  fake->wait_until_parked();
  auto s = sleep_until(drv.now() + 10s);
  eddy::detail::context_guard guard(nullptr, &drv);
  EXPECT_TRUE(poll_once(drv, s, cw.make()).is_pending());
  cw.wait_for_wakes(1);  // hangs (test timeout) if the insert did not unpark
  EXPECT_TRUE(poll_once(drv, s, cw.make()).is_ready());
  done.store(true);
  drv.unpark();
  runner.join();
  EXPECT_GE(drv.now(), s.deadline());
}

TEST(TimeDriver, ConcurrentInsertCancelAndFire) {
  // Threads register, re-poll and cancel sleeps while the driver fires them on
  // its own thread (paused clock: auto-advance). Every awaited sleep completes,
  // and the sanitizers watch the locking.
  time_driver drv(std::make_unique<eddy::detail::thread_parker>(), clock_mode::paused);
  constexpr int threads = 4;
  constexpr int per_thread = 150;
  std::atomic<bool> done{false};
  std::thread runner([&] {
    while (!done.load()) drv.park(std::nullopt);
  });
  // The wakers outlive the runner thread: it may still be waking one after the
  // sleep that held it completed.
  std::vector<counting_waker> awaited_wakers(threads), cancelled_wakers(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      eddy::detail::context_guard guard(nullptr, &drv);
      eddy::waker w = awaited_wakers[t].make();
      eddy::waker wc = cancelled_wakers[t].make();
      context cx(w), cxc(wc);
      int expected = 0;
      for (int i = 0; i < per_thread; ++i) {
        auto ms = std::chrono::milliseconds(1 + (i * 7 + t * 13) % 50);
        auto awaited = sleep_for(ms);
        auto cancelled = sleep_for(ms / 2);
        if (awaited.poll(cx).is_ready()) continue;
        ++expected;
        (void)cancelled.poll(cxc);
        {
          auto moved = std::move(cancelled);  // moved while registered, then dropped
        }
        awaited_wakers[t].wait_for_wakes(expected);
        EXPECT_TRUE(awaited.poll(cx).is_ready());
      }
    });
  }
  for (auto& w : workers) w.join();
  done.store(true);
  drv.unpark();
  runner.join();
  EXPECT_EQ(drv.timer_count(), 0u);
}

}  // namespace
}  // namespace eddy::timer
