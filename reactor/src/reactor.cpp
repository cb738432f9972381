#include <eddy/reactor/reactor.hpp>

#include <algorithm>
#include <cassert>

#include "reactor/src/epoll/futex.hpp"
#include "reactor/src/reactor_impl.hpp"
#include "runtime/src/current.hpp"

namespace eddy {
namespace detail {

namespace {
constexpr std::size_t max_events = 256;
}

reactor_impl::reactor_impl() : events_(max_events) { to_wake_.reserve(max_events); }

std::size_t reactor_impl::turn(std::optional<std::chrono::nanoseconds> timeout) {
#ifndef NDEBUG
  const bool was_in_turn = in_turn_.exchange(true);
  assert(!was_in_turn && "reactor: park()/turn()/run() from two threads at once");
#endif
  tick_ = tick_ == max_tick ? 1 : tick_ + 1;  // io_slot.hpp rule 2: never 0

  bool retry_due = false;
  if (has_descriptor_waiters_.load(std::memory_order_acquire)) {
    std::lock_guard lock(descriptor_mutex_);
    if (retry_at_) {
      const auto left = *retry_at_ - std::chrono::steady_clock::now();
      if (left <= left.zero()) {
        retry_due = true;
        timeout = std::chrono::nanoseconds::zero();
      } else if (!timeout || *timeout > left) {
        timeout = std::chrono::duration_cast<std::chrono::nanoseconds>(left);
      }
    }
  }

  const std::size_t n = park_without_descriptors(timeout) ? 0 : backend_.wait(events_, timeout);
  std::size_t dispatched = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (events_[i].token == notify_token) {
      // invariant 3: drain, then clear. Clearing first lost wake-ups: an unpark()
      // between the clear and the drain wrote the eventfd, the drain swallowed
      // that write, and notified_ stayed true with the eventfd empty, so every
      // later unpark() skipped its write and the driving thread slept on. An
      // unpark() between the drain and the clear is absorbed by this turn, which
      // is about to return anyway.
      backend_.drain_notify();
      notified_.store(0, std::memory_order_release);
      continue;
    }
    if (dispatch(events_[i].token, events_[i].ready)) ++dispatched;
  }

  if (!retry_due && has_descriptor_waiters_.load(std::memory_order_acquire)) {
    std::lock_guard lock(descriptor_mutex_);
    retry_due = retry_at_ && *retry_at_ <= std::chrono::steady_clock::now();
  }
  if (retry_due) {
    std::lock_guard lock(descriptor_mutex_);
    for (auto& w : descriptor_waiters_) to_wake_.push_back(std::move(w));
    descriptor_waiters_.clear();
    retry_at_.reset();
    has_descriptor_waiters_.store(false, std::memory_order_release);
  }

  // invariant 2: the batch is done and no lock is held.
  for (auto& w : to_wake_) std::move(w).wake();
  to_wake_.clear();
#ifndef NDEBUG
  in_turn_.store(false);
#endif
  return dispatched;
}

bool reactor_impl::dispatch(std::uint64_t token, std::uint8_t ready) {
  const auto gen = static_cast<std::uint32_t>(token >> 32);
  io_slot* s = slab_.get(token & 0xffffffffu);
  if (!s) return false;
  std::uint64_t cur = s->state.load(std::memory_order_acquire);
  std::uint64_t next;
  do {
    if (generation_of(cur) != gen) return false;  // rule 1: stale event
    next = make_state(gen, tick_, static_cast<std::uint8_t>((cur & ready_mask) | ready));
  } while (!s->state.compare_exchange_weak(cur, next, std::memory_order_acq_rel,
                                           std::memory_order_acquire));
  std::lock_guard lock(s->mutex);                                                   // rule 4
  if (generation_of(s->state.load(std::memory_order_acquire)) != gen) return true;  // rule 5
  if ((ready & trigger_bits(io_direction::read)) && s->reader) {
    to_wake_.push_back(std::move(s->reader));
    s->reader.reset();
  }
  if ((ready & trigger_bits(io_direction::write)) && s->writer) {
    to_wake_.push_back(std::move(s->writer));
    s->writer.reset();
  }
  return true;
}

bool reactor_impl::park_without_descriptors(std::optional<std::chrono::nanoseconds> timeout) {
  if (registrations_.load(std::memory_order_relaxed) != 0) return false;
  // A poll with nothing registered (invariant 4): epoll_wait(0) only if the
  // eventfd may hold an unpark's write, to drain it.
  if (timeout && timeout->count() <= 0) return notified_.load(std::memory_order_acquire) == 0;
  futex_parked_.store(1, std::memory_order_seq_cst);
  if (registrations_.load(std::memory_order_seq_cst) != 0) {  // opened meanwhile
    futex_parked_.store(0, std::memory_order_relaxed);
    return false;
  }
  if (notified_.load(std::memory_order_seq_cst) == 0) futex::wait(notified_, 0, timeout);
  futex_parked_.store(0, std::memory_order_relaxed);
  // Consumes the wake-up; one that arrives from here on finds futex_parked_ 0 (it
  // reads notified_ 0 with acquire, after this release) and writes the eventfd.
  notified_.store(0, std::memory_order_release);
  return true;
}

void reactor_impl::unpark() noexcept {
  if (notified_.exchange(1, std::memory_order_seq_cst) != 0) return;
  if (futex_parked_.load(std::memory_order_seq_cst) != 0) {
    futex::wake_one(notified_);
  } else {
    backend_.notify();
  }
}

void reactor_impl::registration_opened() noexcept {
  registrations_.fetch_add(1, std::memory_order_seq_cst);
  if (futex_parked_.load(std::memory_order_seq_cst) != 0) unpark();
}

void reactor_impl::wait_for_descriptor(const waker& w) {
  {
    std::lock_guard lock(descriptor_mutex_);
    const bool known = std::any_of(descriptor_waiters_.begin(), descriptor_waiters_.end(),
                                   [&](const waker& o) { return o.will_wake(w); });
    if (!known) descriptor_waiters_.push_back(w);
    if (!retry_at_) retry_at_ = std::chrono::steady_clock::now() + descriptor_backoff;
    has_descriptor_waiters_.store(true, std::memory_order_release);
  }
  unpark();  // a wait already blocked must learn the new deadline
}

void reactor_impl::descriptor_released() {
  if (!has_descriptor_waiters_.load(std::memory_order_acquire)) return;
  std::vector<waker> woken;
  {
    std::lock_guard lock(descriptor_mutex_);
    woken.swap(descriptor_waiters_);
    retry_at_.reset();
    has_descriptor_waiters_.store(false, std::memory_order_release);
  }
  for (auto& w : woken) std::move(w).wake();
}

}  // namespace detail

reactor::reactor() : impl_(std::make_unique<detail::reactor_impl>()) {}

reactor::~reactor() {
  assert(impl_->slab_.live() == 0 && "reactor destroyed before its registrations");
}

void reactor::park(std::optional<std::chrono::nanoseconds> timeout) { impl_->turn(timeout); }

std::size_t reactor::turn(std::optional<std::chrono::nanoseconds> timeout) {
  return impl_->turn(timeout);
}

void reactor::unpark() noexcept { impl_->unpark(); }

void* reactor::service(driver_service which) noexcept {
  return which == driver_service::io ? this : nullptr;
}

void reactor::run() {
  while (!impl_->stopped_.load(std::memory_order_acquire)) impl_->turn(std::nullopt);
}

void reactor::stop() noexcept {
  impl_->stopped_.store(true, std::memory_order_release);
  impl_->unpark();
}

void reactor::restart() noexcept { impl_->stopped_.store(false, std::memory_order_release); }

std::size_t reactor::registration_count() const noexcept { return impl_->slab_.live(); }

reactor* reactor::current() noexcept {
  return static_cast<reactor*>(detail::current_service(driver_service::io));
}

}  // namespace eddy
