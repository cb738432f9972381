// time_driver.hpp: the driver layer that owns the timers. It wraps an inner driver
// (the I/O reactor, or a plain thread parker) and parks it no longer than the
// next timer deadline, then wakes every timer that expired. Sleep futures find it
// as the current driver's `driver_service::timer`.
//
// Thread safety: park() is called by the owning thread only. Everything else
// (unpark, advance, and the registrations sleep futures make) may come from any
// thread.
//
// Invariants (mutex_ guards wheel_, fired_, never_, parked_, parked_until_ and the
// waker/hook/deadline of every registered entry):
//   1. An entry in state `registered` is linked into wheel_, fired_ or never_; in any
//      other state it is linked nowhere and the driver no longer touches it.
//   2. Wakers are woken, and replaced wakers dropped, after mutex_ is released:
//      a wake may run executor code and a drop may destroy a task, whose sleep
//      futures then take mutex_ to cancel.
//   3. The driver stores `fired`/`shutdown` into an entry's state with release
//      after its last access to the entry, so a future that reads that state
//      (acquire) may return ready and be destroyed without taking mutex_.
//   4. While parked_, the inner driver returns at tick parked_until_ at the
//      latest; a registration with an earlier deadline unparks it, a later one
//      does not (no wake-up per insert).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include <eddy/detail/futex_lock.hpp>
#include <eddy/driver.hpp>
#include <eddy/polled.hpp>
#include <eddy/timer/clock.hpp>
#include <eddy/timer/detail/timer_entry.hpp>
#include <eddy/waker.hpp>

namespace eddy {
class sleep_future;
}

namespace eddy::timer {

namespace detail {
class wheel;
}

class time_driver final : public driver {
 public:
  using duration = timer::clock::duration;
  using time_point = timer::clock::time_point;

  /// Precondition: `inner` is not null. With clock_mode::paused the clock starts
  /// at the real now and moves by advance() and by auto-advance (see park()).
  explicit time_driver(std::unique_ptr<driver> inner, clock_mode mode = clock_mode::real);
  /// Wakes every timer still registered; their futures complete with
  /// errc::runtime_shutdown (sleep_future::error()) and never touch this driver again.
  ~time_driver() override;

  /// Parks the inner driver until `timeout`, the next timer deadline (rounded up
  /// to whole milliseconds: a 300 us deadline must not become a 0 ms spin) or
  /// unpark(), then wakes the expired timers.
  ///
  /// Paused clock: the inner driver is only polled (zero timeout). If that woke
  /// nothing, no timer expired and no unpark() came, the clock auto-advances to
  /// the next deadline (or by `timeout`, if sooner) and the timers due then are
  /// woken. With no timer and no timeout it blocks until unpark(). A task woken by
  /// the inner driver without calling unpark() does not stop an auto-advance.
  void park(std::optional<std::chrono::nanoseconds> timeout) override;
  void unpark() noexcept override;
  /// driver_service::timer: this time_driver. Other services: the inner driver's.
  [[nodiscard]] void* service(driver_service which) noexcept override;

  [[nodiscard]] const timer::clock& clock() const noexcept { return clock_; }
  [[nodiscard]] time_point now() const noexcept { return clock_.now(); }
  /// The time at which the driver last woke its expired timers (once per turn),
  /// with no clock read, while the driver is between turns; now() while it is
  /// parked (another thread may run tasks then: the multi-thread runtime) and
  /// when the clock is paused. Never later than now(), and earlier at most by the
  /// time tasks have run since the driver's last turn: what a task woken by this
  /// turn uses to set a timeout, one clock read cheaper.
  [[nodiscard]] time_point recent_now() const noexcept {
    time_point t = turn_now_.load(std::memory_order_relaxed);
    return t == parked_mark || clock_.is_paused() ? clock_.now() : t;
  }
  /// Paused clock: moves time forward by `d` and unparks, so the next park()
  /// wakes what became due. No effect on a real clock.
  void advance(duration d) noexcept;

  /// Timers registered and not yet woken (0 at a clean teardown).
  [[nodiscard]] std::size_t timer_count() const;
  /// When the driver next has timer work: the earliest deadline or earlier (a
  /// wheel cascade point), never later. nullopt without timers.
  [[nodiscard]] std::optional<time_point> next_deadline() const;

  [[nodiscard]] driver& inner() noexcept { return *inner_; }

  /// Converts a deadline to wheel ticks (1 ms since this driver's origin), rounded up.
  [[nodiscard]] std::uint64_t deadline_tick(time_point t) const noexcept;
  /// The start of tick `tick` (saturates at time_point::max()).
  [[nodiscard]] time_point tick_time(std::uint64_t tick) const noexcept;

 private:
  friend class eddy::sleep_future;

  // The sleep_future side. All take mutex_.
  polled<void> poll_entry(detail::timer_entry& e, time_point deadline, const waker& w);
  void cancel(detail::timer_entry& e) noexcept;
  void move_entry(detail::timer_entry& from, detail::timer_entry& to) noexcept;

  // Every live driver has a process-wide id (never 0), so a timer entry can name
  // its driver in 4 bytes (timer_entry::driver_id). from_id() is lock-free; it is
  // only called for an entry still registered, whose driver is therefore alive.
  static std::uint32_t acquire_id(time_driver* self);
  static void release_id(std::uint32_t id) noexcept;
  [[nodiscard]] static time_driver* from_id(std::uint32_t id) noexcept {
    return registry_[id].load(std::memory_order_acquire);
  }
  static constexpr std::uint32_t max_drivers = std::uint32_t{1} << 16;
  static std::atomic<time_driver*> registry_[max_drivers];  // by id; 0 unused

  void park_real(std::optional<std::chrono::nanoseconds> timeout);
  void park_paused(std::optional<std::chrono::nanoseconds> timeout);
  /// Advances the wheel to `now` and wakes what expired (invariant 2). Returns
  /// how many timers fired.
  std::size_t fire(time_point now);
  void unlink(detail::timer_entry& e) noexcept;  // mutex_ held
  void shutdown_entries() noexcept;              // the destructor's work
  [[nodiscard]] std::uint64_t ticks_since_origin(time_point t, bool round_up) const noexcept;

  std::unique_ptr<driver> inner_;
  timer::clock clock_;
  const time_point origin_;
  // fire()'s `now`, for recent_now(); parked_mark while park_real() blocks.
  static constexpr time_point parked_mark = time_point::min();
  std::atomic<time_point> turn_now_{parked_mark};
  mutable eddy::detail::futex_lock mutex_;  // a futex lock: taken by every insert and cancel
  std::unique_ptr<detail::wheel> wheel_;
  const std::uint32_t id_;
  detail::entry_list fired_;  // expired, waker not yet taken
  detail::entry_list never_;  // deadlines about 35 years or more ahead: never fire
  bool parked_ = false;
  std::uint64_t parked_until_ = 0;
  std::atomic<bool> unparked_{false};
};

}  // namespace eddy::timer
