// task_run.hpp: the state transitions every executor makes around one poll of a
// task (task_header.hpp explains the state word). Executors differ in where they
// queue and track tasks, not in how a task is run or completed. Inline: they sit
// on every poll of every task, between the executor's loop and the task's poll.
#pragma once

#include <eddy/detail/task_header.hpp>

namespace eddy::detail {

enum class run_outcome {
  /// Pending and not woken meanwhile: nothing to do until a wake.
  idle,
  /// Woken while it ran: queue it again.
  requeue,
  /// Finished (value, exception or cancellation): call finish_task().
  finished,
};

struct no_pending_hook {
  void operator()(task_header*) const noexcept {}
};

/// Polls `t` once (or destroys its frame if it was cancelled). Precondition: `t`
/// was dequeued with `scheduled` set and `running` clear. `on_pending(t)` runs
/// when the poll returned pending, while `t` is still `running`: no other thread
/// can run or complete it until this returns.
template <class OnPending = no_pending_hook>
inline run_outcome run_task(task_header* t, OnPending&& on_pending = {}) noexcept {
  // scheduled -> running in one step (task_header invariant 1).
  state::word s = t->state_.fetch_xor(state::scheduled | state::running, std::memory_order_acq_rel);
  if (s & state::cancelled) [[unlikely]] {
    t->vtable_->cancel(t);
    return run_outcome::finished;
  }
  waker w(t->borrowed_waker());
  context cx(w);
  bool done = t->vtable_->poll(t, cx);
  (void)w.release();
  if (done) return run_outcome::finished;
  on_pending(t);
  s = t->state_.fetch_and(~state::running, std::memory_order_acq_rel);
  return (s & state::scheduled) ? run_outcome::requeue : run_outcome::idle;
}

/// Publishes completion, wakes the join handle and drops the executor's
/// reference. The caller has already unlinked `t` from its owned-task list, if
/// it was in one.
inline void finish_task(task_header* t) noexcept {
  state::word s = t->state_.load(std::memory_order_relaxed);
  state::word next;
  bool wake_joiner;
  do {
    next = (s | state::complete) & ~(state::running | state::scheduled);
    // With no join waker to call, the executor's reference goes in the same
    // step; otherwise after the wake, which reads join_waker_ from the cell.
    wake_joiner = (s & state::join_interest) && (s & state::join_waker);
    if (!wake_joiner) next -= state::ref_one;
  } while (!t->state_.compare_exchange_weak(s, next, std::memory_order_acq_rel,
                                            std::memory_order_relaxed));
  if (!wake_joiner) {
    if ((next & state::ref_mask) == 0) t->vtable_->dealloc(t);
    return;
  }
  t->join_waker_.wake_by_ref();
  t->unref();  // the executor's reference
}

}  // namespace eddy::detail
