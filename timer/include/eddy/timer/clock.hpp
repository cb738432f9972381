// clock.hpp: the time source of a time_driver. Either the real steady clock, or a
// paused clock that moves only when told to, so timer tests are exact and never
// sleep for real (Tokio's `start_paused`).
//
// A paused clock moves in two ways: by hand (time_driver::advance), and by
// auto-advance: when the driver is asked to block and no task is runnable, it
// jumps the clock to the next timer deadline instead of waiting for it. Time so
// "passes" exactly as fast as the program can consume it.
//
// Thread safety: now() and advance() may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>

namespace eddy::timer {

enum class clock_mode {
  real,    ///< std::chrono::steady_clock
  paused,  ///< starts at the real now, then moves only by advance()
};

class clock {
 public:
  using duration = std::chrono::steady_clock::duration;
  using time_point = std::chrono::steady_clock::time_point;

  explicit clock(clock_mode mode = clock_mode::real) noexcept
      : paused_(mode == clock_mode::paused),
        paused_now_(std::chrono::steady_clock::now().time_since_epoch().count()) {}
  clock(const clock&) = delete;
  clock& operator=(const clock&) = delete;

  [[nodiscard]] bool is_paused() const noexcept { return paused_; }

  [[nodiscard]] time_point now() const noexcept {
    if (!paused_) return std::chrono::steady_clock::now();
    return time_point(duration(paused_now_.load(std::memory_order_acquire)));
  }

  /// Moves a paused clock forward by `d` (negative: no-op). No effect on a real clock.
  void advance(duration d) noexcept {
    if (paused_ && d > duration::zero())
      paused_now_.fetch_add(d.count(), std::memory_order_acq_rel);
  }

  /// Moves a paused clock forward to `t` if it is earlier. No effect on a real clock.
  void advance_to(time_point t) noexcept {
    if (!paused_) return;
    auto target = t.time_since_epoch().count();
    auto cur = paused_now_.load(std::memory_order_relaxed);
    while (cur < target &&
           !paused_now_.compare_exchange_weak(cur, target, std::memory_order_acq_rel)) {
    }
  }

 private:
  const bool paused_;
  std::atomic<duration::rep> paused_now_;
};

}  // namespace eddy::timer
