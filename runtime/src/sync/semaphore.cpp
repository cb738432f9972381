#include <eddy/sync/semaphore.hpp>

#include <algorithm>
#include <cassert>
#include <utility>

namespace eddy::sync {

bool semaphore::try_acquire(std::size_t n) noexcept {
  detail::lock_guard lk(lock_);
  if (!waiters_.empty() || permits_ < n) return false;
  permits_ -= n;
  return true;
}

std::size_t semaphore::available() const noexcept {
  detail::lock_guard lk(lock_);
  return permits_;
}

void semaphore::release(std::size_t n) noexcept {
  constexpr std::size_t batch = 16;
  waker wakers[batch];
  detail::lock_guard lk(lock_);
  permits_ += n;
  for (;;) {
    std::size_t k = 0;
    while (k < batch && permits_ != 0 && !waiters_.empty()) {
      waiter& w = waiters_.front();
      const std::size_t take = std::min(permits_, w.needed);
      w.needed -= take;
      permits_ -= take;
      if (w.needed != 0) break;  // invariant 1: all free permits went to it
      waiters_.pop_front();
      wakers[k++] = std::move(w.w);
    }
    const bool more = permits_ != 0 && !waiters_.empty();
    lk.unlock();  // wakers run unlocked
    for (std::size_t i = 0; i < k; ++i) std::move(wakers[i]).wake();
    if (!more) return;
    lk.lock();
  }
}

semaphore::acquire_future::acquire_future(acquire_future&& o) noexcept
    : sem_(o.sem_), n_(o.n_), state_(o.state_) {
  assert(o.state_ != state::queued && "an acquire future must not move while it waits");
}

polled<void> semaphore::acquire_future::poll(context& cx) {
  assert(state_ != state::done && "acquire future polled after completion");
  waker old;
  detail::lock_guard lk(sem_->lock_);
  if (state_ == state::idle) {
    // Invariant 1: with waiters queued there is nothing free to take.
    const std::size_t take = std::min(sem_->permits_, n_);
    sem_->permits_ -= take;
    if (take == n_) {
      state_ = state::done;
      return ready();
    }
    node_.needed = n_ - take;
    node_.w = cx.waker();
    sem_->waiters_.push_back(node_);
    state_ = state::queued;
    return pending;
  }
  if (node_.needed == 0) {  // release() assigned the last permit and unlinked us
    state_ = state::done;
    old = std::move(node_.w);
    return ready();
  }
  old = detail::update_waker(node_.w, cx);
  return pending;
}

semaphore::acquire_future::~acquire_future() {
  if (state_ != state::queued) return;
  std::size_t assigned;
  waker old;
  {
    detail::lock_guard lk(sem_->lock_);
    if (node_.is_linked()) node_.unlink();
    assigned = n_ - node_.needed;
    old = std::move(node_.w);
  }
  // Permits assigned to a waiter that gave up go to the next ones.
  if (assigned != 0) sem_->release(assigned);
}

}  // namespace eddy::sync
