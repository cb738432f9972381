// waiter_list.hpp: the intrusive FIFO of waiting futures every sync primitive keeps.
// A waiter node lives inside the future that waits, so waiting allocates nothing.
//
// Rules shared by all primitives (each one's lock guards its list):
//   1. A node is linked into at most one list, and is linked, unlinked and
//      inspected only under the owning primitive's lock.
//   2. A future whose node may be linked unlinks it under the lock in its
//      destructor; that is what makes dropping a waiting future safe.
//   3. Wakers are moved out of nodes under the lock and woken after it is
//      released; a waker is never woken, cloned over or dropped while the lock is
//      held by the code that runs it, because a task's wake or drop may re-enter.
//      One exception (wake_by_ref_locked): a spawned task's waker may be woken by
//      reference under the lock. That only marks the task scheduled and queues it
//      on its scheduler, whose locks never wrap a sync primitive's, and the slot's
//      reference keeps the task alive throughout.
// Hooks are auto_unlink so a node can leave whichever list it is in (the
// primitive's own, or a notifier's local batch, see wake_all) without knowing it.
#pragma once

#include <boost/intrusive/list.hpp>
#include <cstddef>
#include <mutex>
#include <utility>

#include <eddy/context.hpp>
#include <eddy/detail/task_header.hpp>
#include <eddy/sync/detail/spin_lock.hpp>
#include <eddy/waker.hpp>

namespace eddy::sync::detail {

using waiter_hook =
    boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>>;

/// Base of every waiter node: the hook and the waker of the waiting task.
struct waiter_base : waiter_hook {
  waker w;
};

template <class W>
using waiter_list = boost::intrusive::list<W, boost::intrusive::constant_time_size<false>>;

using lock_guard = std::unique_lock<spin_lock>;

/// Wakes `w` by reference now, under the lock, when it is a spawned task's waker
/// (rule 3's exception), and returns true; otherwise returns false and the caller
/// moves it out and wakes it after unlocking.
[[nodiscard]] inline bool wake_by_ref_locked(const waker& w) noexcept {
  if (w.vtable() != &eddy::detail::task_waker_vtable) return false;
  static_cast<eddy::detail::task_header*>(w.data())->wake_by_ref();  // no vtable call
  return true;
}

/// Stores the context's waker in `slot` unless it already wakes the same task.
/// Returns the waker it replaced: the caller drops it after unlocking (rule 3).
[[nodiscard]] inline waker update_waker(waker& slot, const context& cx) {
  if (slot.will_wake(cx.waker())) return {};
  waker w(cx.waker());  // one clone, then a swap: no temporary to drop
  slot.swap(w);
  return w;
}

/// Wakes every waiter in `list`: splices them into a local batch, then, a few at
/// a time, unlinks each under the lock, calls `mark(node)` and wakes its waker
/// after unlocking. A node still in the batch while the lock is dropped can be
/// unlinked by its own future (rule 2), so the futures must be able to tell from
/// state the notifier set before this call (a closed flag, a version) that they
/// are ready. Precondition: `lk` owns the lock. Returns with it released.
template <class W, class Mark>
void wake_all(lock_guard& lk, waiter_list<W>& list, Mark mark) {
  constexpr std::size_t batch_size = 16;
  waiter_list<W> batch;
  batch.splice(batch.end(), list);
  waker wakers[batch_size];
  for (;;) {
    std::size_t n = 0;
    while (n < batch_size && !batch.empty()) {
      W& node = batch.front();
      batch.pop_front();
      mark(node);
      wakers[n++] = std::move(node.w);
    }
    const bool more = !batch.empty();
    lk.unlock();  // rule 3
    for (std::size_t i = 0; i < n; ++i) std::move(wakers[i]).wake();
    if (!more) return;  // nothing can be added to the batch: it stays empty
    lk.lock();
  }
}

}  // namespace eddy::sync::detail
