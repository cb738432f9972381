// multi_thread_core.hpp: the scheduler of a multi-thread runtime.
//
// Shape: N workers, each with a bounded lock-free FIFO ring (local_queue.hpp)
// that overflows half into one global injection queue; the injection queue also
// takes wakes and spawns from threads that are not workers (the reactor thread,
// the block_on caller, foreign threads); idle workers steal half of another
// worker's ring; a worker with nothing to run or steal parks on its own
// futex word (invariant 5). The driver (epoll + the timer wheel) runs either on a
// dedicated reactor thread (reactor_mode::dedicated_thread: it only wakes tasks,
// which land in the injection queue) or on the workers
// (reactor_mode::idle_worker: one idle worker at a time parks in the driver,
// guarded by driver_mutex_, and busy workers poll it every inject_interval
// tasks).
//
// Invariants:
//   1. No lost wake-up (Dekker): a producer publishes a task (ring tail with a
//      release store, or injected_ seq_cst) then reads idle_count_ with a seq_cst
//      RMW (fetch_add(0)); a parker announces itself with a seq_cst RMW of
//      idle_count_ then re-reads every ring tail and injected_. idle_count_ only
//      ever changes by RMW, so the later of the two RMWs reads from (the release
//      sequence of) the earlier: either the producer sees the parker, or the
//      parker sees the task. (RMWs rather than fences: TSan does not model
//      fences.) A worker pushing onto its own ring when the ring had been empty
//      skips the check: it runs the task itself next.
//   2. A worker is in idle_ (guarded by idle_mutex_) exactly while it is parked or
//      about to park; notify_one() removes it before waking it, so one wake never
//      wakes two workers and a removed worker always returns from park. A worker
//      that leaves park by itself (the driver returned) takes itself out of idle_,
//      or, if a notifier already did, consumes that notification.
//   3. A task is owned (linked in an owned-task shard, guarded by the shard's
//      lock) from the end of its first poll that returned pending until it
//      completes: the worker that ran that poll links it into one of its own
//      shards (index = worker mod workers, in turn) while the task is still
//      `running` (run_task's on_pending), so no other thread can complete it
//      meanwhile. Until then its shard_ is `unowned`, and it is in a run queue
//      or running: a task that completes in its first poll never takes a shard
//      lock. A task is never woken while unowned (its waker is only out during
//      its first poll, and a wake then finds it `running`). Shutdown adopts the
//      unowned tasks of the queues into a shard after the workers have stopped;
//      a spawn from outside the workers that finds the injection queue closed
//      cancels its task itself.
//   4. After shutdown() has joined the workers and the reactor thread, only the
//      destroying thread touches tasks: frames are destroyed there.
//   5. A worker's park state is one word (park_state): empty, notified,
//      sleeping or driving. Only the worker moves it away from empty (by
//      compare-exchange, to sleeping before a futex wait or to driving before
//      parking in the driver) and back to empty (by exchange, consuming any
//      notification). A notifier exchanges it to notified and then wakes what
//      the old value says: the futex if sleeping, the driver if driving, nothing
//      otherwise. So notifications merge like a flag, none is lost, and a wake
//      costs one syscall only when the worker really sleeps. `driving` is set
//      only while the worker holds driver_mutex_.
//   6. Adaptive spinning: a worker whose sleep was ended within spin_window of
//      its start while a thread outside the runtime had injected work
//      (foreign_wake_) spins up to spin_window before its next sleep, and keeps
//      doing so while spins find work; one that finds nothing switches it off.
//      At most one worker spins at a time (spinners_), so a spinner never takes
//      the last core from the thread it waits for. Wakes from the runtime's own
//      threads (workers, the reactor thread) do not count: I/O-driven loads never
//      spin. A spinning worker does not turn the driver (other workers may).
//      While one spins, push_inject() wakes no sleeper: the spinner takes the
//      task (the waker reads spinners_ after publishing it, seq_cst, and the
//      spinner leaves spinners_ before park()'s re-check, so one of the two sees
//      it), and a worker that takes from the injection queue wakes an idle
//      worker for any surplus (left queued or moved onto its ring). Waking a
//      sleeper as well only made it find nothing, after preempting the spinner
//      on a busy machine.
//   7. Cell references (scheduler::ref/unref) without a shared atomic per task:
//      each worker keeps a reserve of references already counted in refs_
//      (cell_refs, touched by its own thread only). A spawn on a worker takes one
//      from the reserve (refilled cell_ref_batch at a time), and a cell freed on
//      a worker of this runtime gives its reference back to that reserve (past
//      2 x cell_ref_batch, one batch goes back to refs_). So refs_ always counts
//      the runtime's own reference, every handle's, every reserve and every live
//      cell however it was funded, and stays above zero while any cell lives. A
//      worker returns its reserve when it stops, after it stops counting as a
//      worker (tls), so a cell freed later on that thread gives back to refs_.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include <boost/intrusive/list.hpp>
#include <boost/intrusive/slist.hpp>

#include <eddy/detail/futex_lock.hpp>
#include <eddy/detail/task_header.hpp>
#include <eddy/driver.hpp>
#include <eddy/runtime.hpp>

#include "runtime/src/local_queue.hpp"
#include "runtime/src/os_thread.hpp"

namespace eddy::detail {

class multi_thread_core final : public scheduler {
 public:
  explicit multi_thread_core(runtime_options opts);

  /// Starts the reactor thread and the workers.
  void start();
  void schedule(task_header* t) noexcept override;
  void spawn(task_header* t) noexcept override;
  /// Stops the threads, then cancels every task on the calling thread.
  void shutdown() noexcept;

  [[nodiscard]] driver* drv() const noexcept { return driver_.get(); }
  [[nodiscard]] unsigned workers() const noexcept { return static_cast<unsigned>(workers_.size()); }

  /// Polls between two looks at the injection queue, so injected tasks are not
  /// starved by a worker whose local queue never empties.
  static constexpr unsigned inject_interval = 61;
  /// Looks for work this many times (with a pause between) before parking.
  static constexpr unsigned park_spin = 32;
  /// Owned-task shards per worker (invariant 3).
  static constexpr unsigned shards_per_worker = 8;
  /// shard_ of a task no shard holds yet (invariant 3).
  static constexpr std::uint16_t unowned = 0xffff;
  /// Invariant 7: references a worker takes from refs_ at once.
  static constexpr std::size_t cell_ref_batch = 1024;
  /// Invariant 6: how soon a foreign wake must end a sleep to turn spinning on,
  /// and how long one spin lasts.
  static constexpr std::chrono::microseconds spin_window{50};

 private:
  using queue_t = task_queue<true>;
  using owned_t = owned_task_list;

  // Invariant 5: the values of worker::park_state.
  static constexpr std::uint32_t park_empty = 0;
  static constexpr std::uint32_t park_notified = 1;
  static constexpr std::uint32_t park_sleeping = 2;
  static constexpr std::uint32_t park_driving = 3;

  struct worker {
    unsigned index = 0;
    local_queue queue;                                  // invariant 1
    std::atomic<std::uint32_t> park_state{park_empty};  // invariant 5
    unsigned tick = 0;
    std::uint64_t steal_seed = 0;
    bool spin_before_park = false;  // invariant 6; this worker's thread only
    std::uint32_t next_shard = 0;   // invariant 3: the shard it links its next task into
    std::size_t cell_refs = 0;      // invariant 7; this worker's thread only
  };
  struct shard {
    futex_lock mutex;  // invariant 3; one compare-exchange per owning and per completion
    owned_t tasks;
  };

  ~multi_thread_core() override;
  void release_to_reserve() noexcept override;  // invariant 7

  void worker_main(worker& w);
  void reactor_main();
  void run(worker& w, task_header* t) noexcept;
  void complete(task_header* t) noexcept;
  /// Invariant 3: links `t` (running on `w`, unowned) into one of w's shards.
  void own(worker& w, task_header* t) noexcept;
  /// Invariant 3: shutdown, single-threaded: links an unowned queued task into a shard.
  void adopt(task_header* t) noexcept;
  task_header* pop_local(worker& w) noexcept;
  /// One task of the injection queue; with `refill` (whose ring is empty), also
  /// moves a share of the rest onto that worker's ring.
  task_header* pop_inject(worker* refill = nullptr) noexcept;
  task_header* steal(worker& w) noexcept;
  void push_local(worker& w, task_header* t) noexcept;
  /// False (nothing queued) once shutdown has closed the injection queue.
  bool push_inject(task_header* t) noexcept;
  void push_inject_batch(queue_t& batch) noexcept;
  void notify_one() noexcept;
  void wake_worker(worker& w) noexcept;
  void park(worker& w) noexcept;
  /// Invariant 5: sleeps on w's futex word until notified, then consumes it.
  static void sleep_until_notified(worker& w) noexcept;
  /// Invariant 2: called by a worker returning from a park nobody ended.
  void leave_idle(worker& w) noexcept;
  /// reactor_mode::idle_worker: parks in the driver if no other worker does.
  /// False if another worker holds the driver.
  bool park_in_driver(worker& w) noexcept;
  [[nodiscard]] bool has_work() const noexcept;
  /// Invariant 6: the adaptive spin before a sleep; true if it found work.
  bool spin_for_work(worker& w) noexcept;
  /// Invariant 6: after a sleep that began at `since`.
  void note_wake(worker& w, std::chrono::steady_clock::time_point since) noexcept;
  [[nodiscard]] worker* current_worker() const noexcept;

  runtime_options opts_;
  std::unique_ptr<driver> driver_;
  std::vector<std::unique_ptr<worker>> workers_;
  std::vector<std::unique_ptr<shard>> shards_;
  std::vector<os_thread> threads_;
  os_thread reactor_thread_;

  std::mutex inject_mutex_;
  queue_t inject_;
  std::atomic<std::size_t> injected_{0};
  bool inject_closed_ = false;  // guarded by inject_mutex_; set by shutdown()

  std::mutex idle_mutex_;  // invariant 2
  std::vector<worker*> idle_;
  std::atomic<unsigned> idle_count_{0};

  std::mutex driver_mutex_;  // idle_worker mode: who may turn the driver
  bool workers_drive_ = false;

  std::atomic<bool> foreign_wake_{false};  // invariant 6
  std::atomic<unsigned> spinners_{0};      // invariant 6

  std::atomic<bool> stopping_{false};
  std::atomic<bool> reactor_stop_{false};
};

}  // namespace eddy::detail
