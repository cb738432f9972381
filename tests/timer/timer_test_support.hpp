// timer_test_support.hpp: what the timer tests poll futures with until the
// executor lands: a counting waker, a scriptable inner driver, and a tiny
// run-to-completion loop over a time_driver (paused clock: exact, no real sleep).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <vector>

#include <eddy/context.hpp>
#include <eddy/driver.hpp>
#include <eddy/future.hpp>
#include <eddy/timer/time_driver.hpp>
#include <eddy/waker.hpp>

#include <gtest/gtest.h>

#include "runtime/src/current.hpp"
#include "runtime/src/thread_parker.hpp"

namespace eddy::timer::test {

/// Counts wakes and live references; wait_for_wakes() blocks until a count is
/// reached (a condition variable, never a sleep).
class counting_waker {
 public:
  counting_waker() = default;
  counting_waker(const counting_waker&) = delete;
  counting_waker& operator=(const counting_waker&) = delete;

  /// A new reference (the caller owns it).
  [[nodiscard]] eddy::waker make() {
    refs_.fetch_add(1);
    return eddy::waker(this, &vtable);
  }

  [[nodiscard]] int wakes() const { return wakes_.load(); }
  /// References alive (make() and clones not yet dropped or woken).
  [[nodiscard]] int refs() const { return refs_.load(); }
  [[nodiscard]] int clones() const { return clones_.load(); }

  void wait_for_wakes(int n) {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return wakes_.load() >= n; });
  }

 private:
  static raw_waker clone(void* p) {
    auto* self = static_cast<counting_waker*>(p);
    self->refs_.fetch_add(1);
    self->clones_.fetch_add(1);
    return {p, &vtable};
  }
  static void wake(void* p) {
    wake_by_ref(p);
    drop(p);
  }
  static void wake_by_ref(void* p) {
    auto* self = static_cast<counting_waker*>(p);
    {
      std::lock_guard lock(self->mutex_);
      self->wakes_.fetch_add(1);
    }
    self->cv_.notify_all();
  }
  static void drop(void* p) { static_cast<counting_waker*>(p)->refs_.fetch_sub(1); }
  static constexpr waker_vtable vtable{clone, wake, wake_by_ref, drop};

  std::atomic<int> wakes_{0};
  std::atomic<int> refs_{0};
  std::atomic<int> clones_{0};
  std::mutex mutex_;
  std::condition_variable cv_;
};

/// An inner driver the tests script: records every park timeout and counts
/// unpark() calls. park() returns at once when unparked before, or when the
/// timeout is finite and `block_finite` is false; otherwise it blocks until
/// unpark(). It never waits for a timeout to pass.
class fake_driver final : public driver {
 public:
  explicit fake_driver(bool block_finite = false) : block_finite_(block_finite) {}

  void park(std::optional<std::chrono::nanoseconds> timeout) override {
    std::unique_lock lock(mutex_);
    parks_.push_back(timeout);
    bool zero = timeout && *timeout <= std::chrono::nanoseconds::zero();
    if (!notified_ && !zero && (!timeout || block_finite_)) {
      parked_ = true;
      cv_.notify_all();
      cv_.wait(lock, [&] { return notified_; });
      parked_ = false;
    }
    notified_ = false;
  }

  void unpark() noexcept override {
    {
      std::lock_guard lock(mutex_);
      notified_ = true;
      unparks_++;
    }
    cv_.notify_all();
  }

  void* service(driver_service which) noexcept override {
    return which == driver_service::io ? &io_service : nullptr;
  }

  /// Blocks until a park() is blocked waiting for unpark().
  void wait_until_parked() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return parked_; });
  }

  [[nodiscard]] int unparks() const {
    std::lock_guard lock(mutex_);
    return unparks_;
  }
  [[nodiscard]] std::vector<std::optional<std::chrono::nanoseconds>> parks() const {
    std::lock_guard lock(mutex_);
    return parks_;
  }

  int io_service = 0;

 private:
  const bool block_finite_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool notified_ = false;
  bool parked_ = false;
  int unparks_ = 0;
  std::vector<std::optional<std::chrono::nanoseconds>> parks_;
};

/// Polls `fut` once as a task of `drv` would.
template <future F>
auto poll_once(time_driver& drv, F& fut, const eddy::waker& w) {
  eddy::detail::context_guard guard(nullptr, &drv);
  context cx(w);
  return fut.poll(cx);
}

/// A one-task executor: polls `fut` whenever woken, parking `drv` in between,
/// until it is ready. Returns the value (or nothing for void).
template <future F>
future_output_t<F> run(time_driver& drv, F& fut) {
  counting_waker cw;
  eddy::waker w = cw.make();
  int seen = 0;
  for (;;) {
    auto p = poll_once(drv, fut, w);
    if (p.is_ready()) return std::move(p).value();
    while (cw.wakes() == seen) drv.park(std::nullopt);
    seen = cw.wakes();
  }
}

/// A paused time driver over a thread parker (exact time, no real sleeping);
/// every test that uses it proves no timer is left registered at teardown.
struct paused_driver_test : ::testing::Test {
  paused_driver_test()
      : drv(std::make_unique<eddy::detail::thread_parker>(), clock_mode::paused), t0(drv.now()) {}
  ~paused_driver_test() override { EXPECT_EQ(drv.timer_count(), 0u) << "timers left at teardown"; }
  time_driver drv;
  time_driver::time_point t0;
};

}  // namespace eddy::timer::test
