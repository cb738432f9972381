// timeout_test.cpp: timeout(d, fut): the value when the future wins, timed_out
// (and the inner future destroyed at once) when the deadline wins.
#include <eddy/timer/timeout.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <string>

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

/// Ready with a value once `ready` is set; records its destruction.
struct manual_future {
  struct shared {
    bool ready = false;
    bool destroyed = false;
    int polls = 0;
    eddy::waker waker;
  };
  explicit manual_future(std::shared_ptr<shared> s) : s_(std::move(s)) {}
  manual_future(manual_future&&) noexcept = default;
  ~manual_future() {
    if (!s_) return;
    s_->destroyed = true;
    s_->waker.reset();  // a destroyed future releases its waker
  }
  polled<std::string> poll(context& cx) {
    ++s_->polls;
    if (s_->ready) return std::string("value");
    s_->waker = cx.waker();
    return pending;
  }
  std::shared_ptr<shared> s_;
};

struct Timeout : timer::test::paused_driver_test {};

TEST_F(Timeout, ValueWhenTheFutureCompletesFirst) {
  auto st = std::make_shared<manual_future::shared>();
  auto t = timeout_at(t0 + 1s, manual_future(st));
  counting_waker cw;
  EXPECT_TRUE(poll_once(drv, t, cw.make()).is_pending());
  EXPECT_EQ(drv.timer_count(), 1u);
  st->ready = true;
  std::move(st->waker).wake();
  auto r = poll_once(drv, t, cw.make());
  ASSERT_TRUE(r.is_ready());
  ASSERT_TRUE(r.value().has_value());
  EXPECT_EQ(*r.value(), "value");
  EXPECT_TRUE(st->destroyed) << "released at completion";
  EXPECT_EQ(drv.timer_count(), 0u) << "the deadline timer is cancelled at completion";
  EXPECT_EQ(cw.refs(), 0);
}

TEST_F(Timeout, TimedOutDestroysTheInnerFutureAtOnce) {
  auto st = std::make_shared<manual_future::shared>();
  auto t = timeout_at(t0 + 100ms, manual_future(st));
  auto r = run(drv, t);
  EXPECT_EQ(drv.now(), t0 + 100ms);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), errc::timed_out);
  EXPECT_EQ(r.error(), std::errc::timed_out);
  EXPECT_TRUE(st->destroyed);
  EXPECT_TRUE(st->waker.empty());
}

TEST_F(Timeout, ValueReadyAtTheDeadlineWins) {
  auto st = std::make_shared<manual_future::shared>();
  auto t = timeout_at(t0 + 5ms, manual_future(st));
  counting_waker cw;
  EXPECT_TRUE(poll_once(drv, t, cw.make()).is_pending());
  drv.advance(5ms);
  drv.park(0ns);
  EXPECT_GE(cw.wakes(), 1);
  st->ready = true;
  auto r = poll_once(drv, t, cw.make());
  ASSERT_TRUE(r.is_ready());
  EXPECT_TRUE(r.value().has_value());
}

TEST_F(Timeout, InnerSleepIsCancelledOnTimeout) {
  eddy::detail::context_guard guard(nullptr, &drv);
  auto t = timeout(50ms, sleep_for(1h));
  static_assert(std::is_same_v<decltype(t)::output_type, result<void>>);
  auto r = run(drv, t);
  EXPECT_EQ(r.error(), errc::timed_out);
  EXPECT_EQ(drv.now(), t0 + 50ms);
  EXPECT_EQ(drv.timer_count(), 0u) << "the inner 1 h sleep must be gone";
}

TEST_F(Timeout, VoidFutureCompletingInTime) {
  eddy::detail::context_guard guard(nullptr, &drv);
  auto t = timeout(50ms, sleep_for(20ms));
  auto r = run(drv, t);
  EXPECT_TRUE(r.has_value());
  EXPECT_EQ(drv.now(), t0 + 20ms);
}

TEST_F(Timeout, NestedTimeoutsTheInnerFires) {
  eddy::detail::context_guard guard(nullptr, &drv);
  auto t = timeout(1s, timeout(10ms, sleep_for(1min)));
  auto r = run(drv, t);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->error(), errc::timed_out);
  EXPECT_EQ(drv.now(), t0 + 10ms);
}

TEST(TimeoutShutdown, RuntimeDestroyedReportsShutdown) {
  auto drv = std::make_unique<time_driver>(std::make_unique<eddy::detail::thread_parker>(),
                                           clock_mode::paused);
  auto st = std::make_shared<manual_future::shared>();
  auto t = timeout_at(drv->now() + 1s, manual_future(st));
  counting_waker cw;
  EXPECT_TRUE(poll_once(*drv, t, cw.make()).is_pending());
  drv.reset();
  EXPECT_EQ(cw.wakes(), 1);
  eddy::waker noop = noop_waker();
  context cx(noop);
  auto r = t.poll(cx);
  ASSERT_TRUE(r.is_ready());
  EXPECT_EQ(r.value().error(), errc::runtime_shutdown);
}

}  // namespace
}  // namespace eddy
