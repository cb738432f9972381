// sleep.hpp: futures that complete at a point in time. The timer entry lives
// inside the future, so a sleeping task costs no allocation; the first poll
// registers it with the timer driver of the runtime running the task, and the
// destructor cancels it.
//
//   co_await eddy::sleep_for(100ms);
//   co_await eddy::sleep_until(eddy::timer::now() + 1s);
//
// Time comes from the runtime's clock (eddy::timer::now()), which a test may pause.
//
// Thread safety: one sleep_future is polled by one task at a time; it may be
// polled, moved and destroyed on any thread while its driver fires timers on another.
#pragma once

#include <chrono>
#include <system_error>

#include <eddy/context.hpp>
#include <eddy/polled.hpp>
#include <eddy/timer/clock.hpp>
#include <eddy/timer/detail/timer_entry.hpp>

namespace eddy {

namespace timer {
class time_driver;

/// The current runtime's time (its clock may be paused); steady_clock::now()
/// on a thread that runs no runtime.
[[nodiscard]] clock::time_point now() noexcept;

/// The time at which the current runtime's timer driver last turned, with no
/// clock read (time_driver::recent_now()): never later than now(), and earlier at
/// most by the time tasks have run since that turn; now() itself while the driver
/// is parked or its clock paused. For a timeout that is set often and need not
/// start at the exact instant, such as a connection's idle deadline.
/// steady_clock::now() on a thread that runs no runtime.
[[nodiscard]] clock::time_point recent_now() noexcept;

/// start + d, saturating at time_point::max() (sleep_for(hours::max()) is "never").
template <class Rep, class Period>
[[nodiscard]] clock::time_point deadline_from(clock::time_point start,
                                              std::chrono::duration<Rep, Period> d) noexcept {
  if (d <= d.zero()) return start;
  auto room = clock::time_point::max() - start;
  if (std::chrono::duration<long double, std::nano>(d).count() >=
      static_cast<long double>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(room).count())) {
    return clock::time_point::max();
  }
  return start + std::chrono::ceil<clock::duration>(d);
}

/// now() + d, saturating at time_point::max() (sleep_for(hours::max()) is "never").
template <class Rep, class Period>
[[nodiscard]] clock::time_point deadline_after(std::chrono::duration<Rep, Period> d) noexcept {
  return deadline_from(now(), d);
}
}  // namespace timer

/// Completes once its deadline has passed on the runtime's clock (never earlier;
/// timers have a 1 ms resolution, so up to 1 ms later). A deadline in the past
/// completes at the first poll without registering; one about 35 years or more
/// ahead (sleep_for(hours::max())) is treated as "never".
///
/// Polled on a thread that runs no eddy runtime (no timer driver): prints a
/// message and aborts; a sleep cannot tell time without a driver. If the runtime
/// is destroyed while the sleep is registered, it completes and error() reports
/// errc::runtime_shutdown.
///
/// Moving is safe in every state: a registered sleep hands its timer entry over
/// to the new object under the driver's lock.
class sleep_future {
 public:
  using time_point = timer::clock::time_point;

  explicit sleep_future(time_point deadline) noexcept
      : entry_(deadline.time_since_epoch().count()) {}
  sleep_future(sleep_future&& other) noexcept;
  sleep_future& operator=(sleep_future&&) = delete;
  ~sleep_future();

  polled<void> poll(context& cx);

  [[nodiscard]] time_point deadline() const noexcept {
    return time_point(time_point::duration(entry_.when));
  }
  /// True once the sleep has completed (a poll returned or would return ready).
  [[nodiscard]] bool is_elapsed() const noexcept;
  /// True while the sleep waits in its driver: polled, and not yet fired, reset
  /// or cancelled. Its driver then holds the waker of the last poll, so a task
  /// whose waker never changes (a spawned task's) need not poll it again until
  /// woken: a repeated poll only takes the driver's lock to find the same waker.
  [[nodiscard]] bool is_registered() const noexcept;
  /// errc::runtime_shutdown if the driver was destroyed under this sleep; else empty.
  [[nodiscard]] std::error_code error() const noexcept;

  /// Re-arms the sleep for `deadline`, cancelling any registration; the next poll
  /// registers it with the current runtime's timer driver.
  void reset(time_point deadline) noexcept;

 private:
  // The whole state, 48 bytes: the deadline is entry_.when and the driver that
  // registered it is entry_.driver_id (set by the first poll that registers).
  timer::detail::timer_entry entry_;
};

/// A future that completes after `d` (measured from now, on the runtime's clock).
template <class Rep, class Period>
[[nodiscard]] sleep_future sleep_for(std::chrono::duration<Rep, Period> d) noexcept {
  return sleep_future(timer::deadline_after(d));
}

/// A future that completes at `deadline` of the runtime's clock.
[[nodiscard]] inline sleep_future sleep_until(timer::clock::time_point deadline) noexcept {
  return sleep_future(deadline);
}

}  // namespace eddy
