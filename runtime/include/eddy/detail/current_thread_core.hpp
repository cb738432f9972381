// current_thread_core.hpp: the scheduler behind current_thread_executor. One thread
// (the one inside block_on) polls tasks and turns the driver itself; other threads
// only hand it tasks through the inject queue.
//
// Invariants:
//   1. ready_ and owned_ are touched only by the thread running block_on (the
//      "executor thread": tls_context.scheduler == this).
//   2. inject_, spawned_, parked_ and shutdown_ are guarded by mutex_.
//   3. A remote wake unparks the driver only if the executor thread declared itself
//      parked under mutex_ (parked_), so a busy executor is never interrupted and
//      an idle one never misses a wake.
//   4. Each spawned cell and each clone of the main waker holds a reference to
//      this object (scheduler::ref), so late wakes never touch freed memory.
//   5. Adaptive spinning: when another thread ended a sleep within spin_window of
//      its start, the next idle moment first spins (at most spin_window) for
//      remote work, and keeps doing so while the spins find some. A spin that
//      finds nothing switches it off, so a thread driven by I/O and timers (no
//      remote wake-ups) never spins, and one that spins wastes at most one window.
//      The spin does not turn the driver: while it lasts, I/O and timers wait
//      (at most one window, 50 us). A sleep is timed (two clock reads) only if
//      the one before it was ended by another thread (time_next_park_), so a
//      thread driven by I/O reads no clock to park.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>

#include <boost/intrusive/list.hpp>
#include <boost/intrusive/slist.hpp>

#include <eddy/detail/futex_lock.hpp>
#include <eddy/detail/task_header.hpp>
#include <eddy/driver.hpp>
#include <eddy/waker.hpp>

namespace eddy::detail {

class current_thread_core final : public scheduler {
 public:
  /// Polls between two non-blocking driver turns, so I/O and timers are not
  /// starved by tasks that keep waking each other.
  static constexpr unsigned event_interval = 61;

  /// Invariant 5: how soon a remote wake-up must end a sleep to turn spinning on,
  /// and how long one spin lasts.
  static constexpr std::chrono::microseconds spin_window{50};

  explicit current_thread_core(std::unique_ptr<driver> drv);

  void schedule(task_header* t) noexcept override;

  void spawn(task_header* t) noexcept override;

  /// Runs tasks and turns the driver until the main future is woken.
  void run_until_main_woken();

  /// True (once) if the main future was woken since the last call.
  bool take_main_woken() noexcept { return main_woken_.exchange(false, std::memory_order_acquire); }

  /// A waker for the main future that holds no reference (valid during block_on).
  raw_waker borrowed_main_waker() noexcept;

  /// Cancels every task (their frames are destroyed on this thread) and refuses
  /// new ones. Called by the executor's destructor.
  void shutdown() noexcept;

  [[nodiscard]] driver* drv() const noexcept { return driver_.get(); }
  [[nodiscard]] bool on_executor_thread() const noexcept;

  void wake_main() noexcept;

 private:
  using queue_t = task_queue<false>;
  using owned_t = owned_task_list;

  ~current_thread_core() override;

  void run_one(task_header* t) noexcept;
  void complete(task_header* t) noexcept;
  void adopt(task_header* t) noexcept;
  bool drain_remote() noexcept;
  void park() noexcept;
  bool spin_for_remote_work() noexcept;
  void turn_driver_now() noexcept;

  std::unique_ptr<driver> driver_;
  queue_t ready_;  // invariant 1
  owned_t owned_;  // invariant 1
  unsigned since_driver_turn_ = 0;
  bool spin_before_park_ = false;  // invariants 1 and 5
  bool time_next_park_ = true;     // invariants 1 and 5
  std::atomic<bool> main_woken_{false};

  futex_lock mutex_;  // invariant 2; taken twice per park: a futex lock, not a pthread mutex
  queue_t inject_;
  queue_t spawned_;
  bool parked_ = false;
  bool shutdown_ = false;
  std::atomic<bool> has_remote_{false};  // a cheap "inject_ or spawned_ non-empty" hint
};

}  // namespace eddy::detail
