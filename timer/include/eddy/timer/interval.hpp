// interval.hpp: a timer that ticks every `period`.
//
//   eddy::interval every(100ms);
//   for (;;) { co_await every.tick(); refresh(); }
//
// The first tick completes at once (at the start time); tick k is scheduled at
// start + k * period. Each tick yields the time it was scheduled for.
//
// Missed ticks (the task ran late, or was busy for several periods): the default
// policy is `skip`. The late tick is delivered once, immediately; the ticks
// missed meanwhile are dropped, and the next one is the first point of the
// original grid (start + k * period) after now. So an interval never bursts to
// catch up and never drifts from its grid. Example, period 10 ms, start t0:
// polled at t0+35 -> yields t0+10 at once, next tick at t0+40 (t0+20 and t0+30
// are skipped). `burst` delivers every missed tick back to back instead (t0+20,
// t0+30 at once), and `delay` restarts the grid from now (next tick at t0+45).
#pragma once

#include <eddy/context.hpp>
#include <eddy/polled.hpp>
#include <eddy/timer/clock.hpp>
#include <eddy/timer/sleep.hpp>

namespace eddy {

enum class missed_tick_policy {
  skip,   ///< default: one late tick, then back on the original grid
  burst,  ///< every missed tick, back to back, until caught up
  delay,  ///< one late tick, then a new grid starting from now
};

/// Thread safety: like a sleep_future, one task ticks it at a time.
class interval {
 public:
  using duration = timer::clock::duration;
  using time_point = timer::clock::time_point;

  /// Ticks at now, now + period, ... Throws std::invalid_argument if period <= 0.
  explicit interval(duration period, missed_tick_policy policy = missed_tick_policy::skip);
  /// Ticks at start, start + period, ... Throws std::invalid_argument if period <= 0.
  interval(time_point start, duration period, missed_tick_policy policy = missed_tick_policy::skip);

  /// Ready with the scheduled time of the tick once it is due.
  polled<time_point> poll_tick(context& cx);

  /// A future for the next tick: `co_await iv.tick()`. It borrows *this.
  class tick_future {
   public:
    explicit tick_future(interval& iv) noexcept : interval_(&iv) {}
    polled<time_point> poll(context& cx) { return interval_->poll_tick(cx); }

   private:
    interval* interval_;
  };
  [[nodiscard]] tick_future tick() noexcept { return tick_future(*this); }

  /// Restarts the grid: the next tick is one period from now.
  void reset() noexcept;

  [[nodiscard]] duration period() const noexcept { return period_; }
  [[nodiscard]] missed_tick_policy policy() const noexcept { return policy_; }
  /// When the next tick is scheduled.
  [[nodiscard]] time_point next_tick() const noexcept { return sleep_.deadline(); }

 private:
  sleep_future sleep_;
  duration period_;
  missed_tick_policy policy_;
};

}  // namespace eddy
