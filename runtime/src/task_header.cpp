#include <eddy/detail/task_header.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <typeinfo>

#include <eddy/join_handle.hpp>

namespace eddy::detail {

namespace {

raw_waker task_clone(void* p);
// Wake by value: the reference is dropped only after schedule() returned. It is
// what keeps the task, and through its cell the scheduler, alive while
// schedule() still runs: once the task is queued, a worker may run it to
// completion and the runtime may be destroyed (dropping it first did that).
void task_wake(void* p) {
  auto* t = static_cast<task_header*>(p);
  t->wake_by_ref();
  t->unref();
}
void task_wake_by_ref(void* p) { static_cast<task_header*>(p)->wake_by_ref(); }
void task_drop(void* p) { static_cast<task_header*>(p)->unref(); }

raw_waker task_clone(void* p) {
  static_cast<task_header*>(p)->ref();
  return {p, &task_waker_vtable};
}

}  // namespace

constinit const waker_vtable task_waker_vtable{task_clone, task_wake, task_wake_by_ref, task_drop};

void task_header::wake_by_ref() noexcept {
  state::word s = state_.load(std::memory_order_acquire);
  for (;;) {
    if (s & (state::complete | state::scheduled)) return;  // invariants 1, 2
    // While running, only mark it: the executor re-queues it after the poll.
    if (state_.compare_exchange_weak(s, s | state::scheduled, std::memory_order_acq_rel,
                                     std::memory_order_acquire))
      break;
  }
  if (!(s & state::running)) scheduler_->schedule(this);
}

void task_header::report_unobserved(const std::exception_ptr& e) noexcept {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "eddy: unobserved exception in a detached task: %s: %s\n",
                 typeid(ex).name(), ex.what());
  } catch (...) {
    std::fprintf(stderr, "eddy: unobserved exception of unknown type in a detached task\n");
  }
}

void task_header::ref_overflow() noexcept {
  std::fputs("eddy: a task's reference count overflowed (2^24 wakers or handles)\n", stderr);
  std::abort();
}

bool join_poll(task_header* h, context& cx) noexcept {
  state::word s = h->state_.load(std::memory_order_acquire);
  if (s & state::complete) return true;
  if (s & state::join_waker) {
    if (h->join_waker_.will_wake(cx.waker())) return false;
    // Take the field back before replacing it (invariant 4).
    while (true) {
      if (s & state::complete) return true;
      if (h->state_.compare_exchange_weak(s, s & ~state::join_waker, std::memory_order_acq_rel,
                                          std::memory_order_acquire))
        break;
    }
  }
  h->join_waker_ = cx.waker();
  s = h->state_.load(std::memory_order_acquire);
  while (true) {
    if (s & state::complete) {
      h->join_waker_.reset();
      return true;
    }
    if (h->state_.compare_exchange_weak(s, s | state::join_waker, std::memory_order_acq_rel,
                                        std::memory_order_acquire))
      return false;
  }
}

void join_abort(task_header* h) noexcept {
  state::word s = h->state_.load(std::memory_order_acquire);
  for (;;) {
    if (s & (state::complete | state::cancelled)) return;
    state::word next = s | state::cancelled | state::scheduled;
    if (h->state_.compare_exchange_weak(s, next, std::memory_order_acq_rel,
                                        std::memory_order_acquire))
      break;
  }
  // Already queued or running: the executor sees `cancelled` at the next poll.
  if (!(s & (state::scheduled | state::running))) h->scheduler_->schedule(h);
}

void join_detach(task_header* h) noexcept {
  // join_interest is set while the handle exists, so subtracting it clears it:
  // the handle's interest and its reference go in one step.
  const state::word s =
      h->state_.fetch_sub(state::ref_one | state::join_interest, std::memory_order_acq_rel);
  if ((s & state::ref_mask) == state::ref_one) h->vtable_->dealloc(h);
}

}  // namespace eddy::detail
