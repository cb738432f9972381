#include "runtime/src/task_run.hpp"

namespace eddy::detail {

run_outcome run_task(task_header* t) noexcept {
  // scheduled -> running in one step (task_header invariant 1).
  std::uint64_t s =
      t->state_.fetch_xor(state::scheduled | state::running, std::memory_order_acq_rel);
  if (s & state::cancelled) {
    t->vtable_->cancel(t);
    return run_outcome::finished;
  }
  waker w(t->borrowed_waker());
  context cx(w);
  bool done = t->vtable_->poll(t, cx);
  (void)w.release();
  if (done) return run_outcome::finished;
  s = t->state_.fetch_and(~state::running, std::memory_order_acq_rel);
  return (s & state::scheduled) ? run_outcome::requeue : run_outcome::idle;
}

void finish_task(task_header* t) noexcept {
  std::uint64_t s = t->state_.load(std::memory_order_relaxed);
  std::uint64_t next;
  do {
    next = (s | state::complete) & ~(state::running | state::scheduled);
  } while (!t->state_.compare_exchange_weak(s, next, std::memory_order_acq_rel,
                                            std::memory_order_relaxed));
  if ((s & state::join_interest) && (s & state::join_waker)) t->join_waker_.wake_by_ref();
  t->unref();  // the executor's reference
}

}  // namespace eddy::detail
