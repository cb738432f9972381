#include <eddy/sync/notify.hpp>

#include <cassert>
#include <utility>

namespace eddy::sync {

waker notify::notify_one_locked() noexcept {
  if (waiters_.empty()) {
    permit_ = true;
    return {};
  }
  waiter& w = waiters_.front();
  waiters_.pop_front();
  w.notified_one = true;
  return std::move(w.w);
}

void notify::notify_one() noexcept {
  waker w;
  {
    detail::lock_guard lk(lock_);
    w = notify_one_locked();
  }
  std::move(w).wake();
}

void notify::notify_waiters() noexcept {
  detail::lock_guard lk(lock_);
  // Waiters still in wake_all's batch see the new generation when polled.
  generation_.fetch_add(1, std::memory_order_release);
  detail::wake_all(lk, waiters_, [](waiter&) {});
}

notify::notified_future::notified_future(notified_future&& o) noexcept
    : n_(o.n_), generation_(o.generation_), state_(o.state_) {
  assert(o.state_ != state::queued && "a notified future must not move while it waits");
}

polled<void> notify::notified_future::poll(context& cx) {
  assert(state_ != state::done && "notified future polled after completion");
  waker old;
  detail::lock_guard lk(n_->lock_);
  const bool by_all = n_->generation_.load(std::memory_order_relaxed) != generation_;
  if (state_ == state::idle) {
    if (!by_all && !n_->permit_) {
      node_.w = cx.waker();
      n_->waiters_.push_back(node_);
      state_ = state::queued;
      return pending;
    }
    if (!by_all) n_->permit_ = false;
  } else if (node_.notified_one || by_all) {
    if (node_.is_linked()) node_.unlink();  // still in a notify_waiters batch
    old = std::move(node_.w);
  } else {
    old = detail::update_waker(node_.w, cx);
    return pending;
  }
  state_ = state::done;
  return ready();
}

notify::notified_future::~notified_future() {
  if (state_ != state::queued) return;
  waker old, next;
  {
    detail::lock_guard lk(n_->lock_);
    if (node_.is_linked()) {
      node_.unlink();
    } else if (node_.notified_one) {
      next = n_->notify_one_locked();  // pass the unobserved notification on
    }
    old = std::move(node_.w);
  }
  std::move(next).wake();
}

}  // namespace eddy::sync
