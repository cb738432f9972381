// task_header.hpp: the type-erased part of a spawned task, shared by the executor,
// the task's wakers and its join_handle.
//
// A spawned task lives in a future_cell<F> (join_handle.hpp; task_cell<T> for a
// task<T>): this header, the future it runs (a task's handle, or a hand-written
// future held in place), its output and the join waker. The cell is reference
// counted; the future (a task's coroutine frame) is destroyed as soon as the task
// completes or is cancelled, the cell itself when the last reference goes.
//
// State word (one atomic, so a wake never races a completion):
//
//   bit  0  scheduled      queued to run, or to be re-queued after the current poll
//   bit  1  running        being polled right now
//   bit  2  complete       output (value, exception or cancellation) is stored
//   bit  3  cancelled      abort() was requested
//   bit  4  join_interest  a join_handle still exists
//   bit  5  join_waker     join_waker_ holds a waker the completer must wake
//   bits 8..31             reference count (a task with 2^24 - 1 references,
//                          wakers included, aborts on the next one)
//
// Invariants:
//   1. A task is linked in at most one run queue, and only while `scheduled` is set
//      and `running` is clear: a wake that finds `scheduled` set does nothing, so
//      a task woken any number of times before it runs is polled once.
//   2. A wake that finds `complete` set does nothing.
//   3. The executor holds a reference from spawn until completion; queue links
//      therefore never outlive the cell (rule 1 + 3).
//   4. join_waker_ is written only by the join_handle while `join_waker` is clear,
//      and read only by the completer while it is set (the Tokio protocol).
//   5. The output is written before `complete` is published (release) and read
//      only after `complete` is observed (acquire).
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>

#include <boost/intrusive/list.hpp>
#include <boost/intrusive/slist.hpp>

#include <eddy/context.hpp>
#include <eddy/waker.hpp>

namespace eddy::detail {

namespace state {
/// The state word: 32 bits, so the cell's byte fields share its 8 bytes.
using word = std::uint32_t;
inline constexpr word scheduled = 1u << 0;
inline constexpr word running = 1u << 1;
inline constexpr word complete = 1u << 2;
inline constexpr word cancelled = 1u << 3;
inline constexpr word join_interest = 1u << 4;
inline constexpr word join_waker = 1u << 5;
inline constexpr word ref_one = word{1} << 8;
inline constexpr word ref_mask = ~(ref_one - 1);
}  // namespace state

/// How a task ended; stored in the cell before `complete` is published.
enum class outcome : std::uint8_t { none, value, exception, cancelled };

struct task_header;

struct task_vtable {
  /// Polls the task's future once. True when it completed (output stored, frame
  /// destroyed). Never throws: a task's exception becomes its output.
  bool (*poll)(task_header*, context&) noexcept;
  /// Destroys the frame at its suspension point (destructors of locals run).
  void (*cancel)(task_header*) noexcept;
  /// Destroys and frees the cell; the last reference is gone.
  void (*dealloc)(task_header*) noexcept;
};

class scheduler;

/// The wakers of spawned tasks (task_header.cpp): data is the task_header.
extern const waker_vtable task_waker_vtable;

struct task_header {
  using queue_hook_t = boost::intrusive::slist_member_hook<
      boost::intrusive::link_mode<boost::intrusive::normal_link>>;
  using owned_hook_t = boost::intrusive::list_member_hook<
      boost::intrusive::link_mode<boost::intrusive::normal_link>>;

  std::atomic<state::word> state_;
  outcome outcome_ = outcome::none;
  bool output_taken_ = false;
  std::uint16_t shard_ = 0;  // which owned-task list holds it (multi-thread executor)
  const task_vtable* vtable_;
  scheduler* scheduler_ = nullptr;
  queue_hook_t queue_hook_;
  owned_hook_t owned_hook_;
  waker join_waker_;  // invariant 4

  explicit task_header(const task_vtable* vt) noexcept
      // Two references: the executor's and the join_handle's.
      : state_(2 * state::ref_one | state::join_interest), vtable_(vt) {}

  void ref() noexcept {
    if (state_.fetch_add(state::ref_one, std::memory_order_relaxed) >= state::ref_mask) [[unlikely]]
      ref_overflow();
  }
  void unref() noexcept {
    // acq_rel: the last owner must see every write made through other references.
    if ((state_.fetch_sub(state::ref_one, std::memory_order_acq_rel) & state::ref_mask) ==
        state::ref_one)
      vtable_->dealloc(this);
  }

  /// Marks the task scheduled and hands it to its executor unless it is already
  /// scheduled, running (then the executor re-queues it), or complete.
  void wake_by_ref() noexcept;

  /// A waker for this task that does not own a reference (for the context of a
  /// poll; futures clone it to keep it).
  [[nodiscard]] raw_waker borrowed_waker() noexcept { return {this, &task_waker_vtable}; }

  /// Reports an exception nobody will observe (a detached task's) on stderr.
  static void report_unobserved(const std::exception_ptr& e) noexcept;
  /// Prints a message and aborts: the reference count would wrap.
  [[noreturn]] static void ref_overflow() noexcept;
};

/// A FIFO run queue of task headers (linked through queue_hook_: no allocation).
template <bool ConstantTimeSize>
using task_queue =
    boost::intrusive::slist<task_header,
                            boost::intrusive::member_hook<task_header, task_header::queue_hook_t,
                                                          &task_header::queue_hook_>,
                            boost::intrusive::cache_last<true>,
                            boost::intrusive::constant_time_size<ConstantTimeSize>>;

/// An executor's list of the tasks it owns (linked through owned_hook_).
using owned_task_list =
    boost::intrusive::list<task_header,
                           boost::intrusive::member_hook<task_header, task_header::owned_hook_t,
                                                         &task_header::owned_hook_>,
                           boost::intrusive::constant_time_size<false>>;

/// What a task_header needs of its executor.
class scheduler {
 public:
  /// Queues `t`, whose `scheduled` bit the caller has just set. Any thread.
  virtual void schedule(task_header* t) noexcept = 0;
  /// Takes the executor's reference of a new cell and queues its first poll. Any
  /// thread. After shutdown the task is cancelled at once.
  virtual void spawn(task_header* t) noexcept = 0;
  /// Reference count of the scheduler: each spawned cell holds one, so that a late
  /// wake from another thread never touches a destroyed executor.
  void ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void unref() noexcept { unref(1); }
  /// Gives back the reference of a cell being freed (the one spawn() took). An
  /// executor with per-thread reserves of references keeps it for a later spawn
  /// instead of touching the shared count.
  void release_cell() noexcept {
    if (has_reserves_) {
      release_to_reserve();
    } else {
      unref();
    }
  }

 protected:
  /// `has_reserves`: release_cell() calls release_to_reserve() instead of unref().
  explicit scheduler(bool has_reserves = false) noexcept : has_reserves_(has_reserves) {}
  virtual ~scheduler() = default;
  /// For executors constructed with has_reserves: release_cell() of a cell.
  virtual void release_to_reserve() noexcept { unref(); }
  void ref(std::size_t n) noexcept { refs_.fetch_add(n, std::memory_order_relaxed); }
  void unref(std::size_t n) noexcept {
    if (refs_.fetch_sub(n, std::memory_order_acq_rel) == n) delete this;
  }

 private:
  std::atomic<std::size_t> refs_{1};
  const bool has_reserves_;
};

}  // namespace eddy::detail
