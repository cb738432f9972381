// watch.hpp: a single value that one sender updates and many receivers observe;
// receivers see the latest value, not every value.
//
//   auto [tx, rx] = watch::channel<config>(initial);
//   tx.send(next);                          // errc::closed if no receiver is left
//   while (co_await rx.changed()) use(*rx.borrow_and_update());
//
// State: the value under a shared_mutex (borrow() takes it shared, send takes it
// exclusive); a version counter bumped with every send; a spin lock guarding the
// list of changed() waiters and the `closed` flag. A receiver remembers the
// version it saw last; changed() completes when the version moves past it.
//   1. send bumps the version before it takes the spin lock to wake waiters, and
//      changed() re-reads the version under the spin lock before it queues, so a
//      send racing a changed() is never missed.
//
// Thread safety: sender and receivers may live on different threads; each handle
// is used by one thread at a time. Do not hold a borrow across co_await: the
// sender blocks (the thread, not the task) until the borrow ends.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <utility>

#include <eddy/context.hpp>
#include <eddy/polled.hpp>
#include <eddy/result.hpp>
#include <eddy/sync/detail/waiter_list.hpp>
#include <eddy/sync/error.hpp>

namespace eddy::sync::watch {

namespace detail {

using sync::detail::lock_guard;

template <class T>
struct shared {
  explicit shared(T v) : value(std::move(v)) {}

  std::shared_mutex value_lock;
  T value;
  std::atomic<std::uint64_t> version{0};  // bumped under value_lock (exclusive)
  std::atomic<std::size_t> receivers{1};
  std::atomic<std::size_t> refs{2};
  sync::detail::spin_lock lock;  // guards closed and waiters
  bool closed = false;           // the sender is gone
  sync::detail::waiter_list<sync::detail::waiter_base> waiters;

  template <class F>
  void modify(F&& f) {
    {
      std::unique_lock vl(value_lock);
      f(value);
      version.fetch_add(1, std::memory_order_release);
    }
    lock_guard lk(lock);  // invariant 1
    sync::detail::wake_all(lk, waiters, [](sync::detail::waiter_base&) {});
  }

  void unref() noexcept {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
};

}  // namespace detail

/// Read access to the current value; holds a shared lock while alive.
template <class T>
class borrowed {
 public:
  borrowed(std::shared_lock<std::shared_mutex> lock, const T& v, bool changed) noexcept
      : lock_(std::move(lock)), value_(&v), changed_(changed) {}
  const T& operator*() const noexcept { return *value_; }
  const T* operator->() const noexcept { return value_; }
  /// Whether the receiver had not seen this value before this borrow.
  [[nodiscard]] bool has_changed() const noexcept { return changed_; }

 private:
  std::shared_lock<std::shared_mutex> lock_;
  const T* value_;
  bool changed_;
};

template <class T>
class receiver;

template <class T>
class sender {
 public:
  sender() noexcept = default;
  sender(sender&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  sender& operator=(sender&& o) noexcept {
    if (this != &o) {
      drop();
      s_ = std::exchange(o.s_, nullptr);
    }
    return *this;
  }
  ~sender() { drop(); }

  /// Stores `v` and notifies receivers; errc::closed (nothing stored, `v` not
  /// moved from) when no receiver is left.
  result<void> send(T&& v) {
    if (s_->receivers.load(std::memory_order_acquire) == 0) return errc::closed;
    s_->modify([&](T& cur) { cur = std::move(v); });
    return {};
  }
  /// Stores `v` whether or not anyone listens; returns the previous value.
  T send_replace(T v) {
    s_->modify([&](T& cur) { std::swap(cur, v); });
    return v;
  }
  /// Modifies the value in place (under the exclusive lock) and notifies.
  template <class F>
  void send_modify(F&& f) {
    s_->modify(std::forward<F>(f));
  }

  [[nodiscard]] borrowed<T> borrow() const {
    return {std::shared_lock(s_->value_lock), s_->value, false};
  }
  /// A new receiver that has seen the current value.
  [[nodiscard]] receiver<T> subscribe() const {
    s_->receivers.fetch_add(1, std::memory_order_relaxed);
    s_->refs.fetch_add(1, std::memory_order_relaxed);
    return receiver<T>(s_, s_->version.load(std::memory_order_acquire));
  }
  [[nodiscard]] std::size_t receiver_count() const noexcept {
    return s_->receivers.load(std::memory_order_acquire);
  }
  [[nodiscard]] bool is_closed() const noexcept { return receiver_count() == 0; }

 private:
  template <class U>
  friend std::pair<sender<U>, receiver<U>> channel(U);
  explicit sender(detail::shared<T>* s) noexcept : s_(s) {}

  void drop() noexcept {
    if (!s_) return;
    {
      detail::lock_guard lk(s_->lock);
      s_->closed = true;
      sync::detail::wake_all(lk, s_->waiters, [](sync::detail::waiter_base&) {});
    }
    std::exchange(s_, nullptr)->unref();
  }

  detail::shared<T>* s_ = nullptr;
};

/// The future of receiver::changed(): result<void>, errc::closed once the sender
/// is gone and every value was seen. Cancel-safe.
template <class T>
class [[nodiscard]] changed_future {
 public:
  explicit changed_future(receiver<T>* rx) noexcept : rx_(rx) {}
  changed_future(changed_future&& o) noexcept : rx_(o.rx_) {}
  changed_future& operator=(changed_future&&) = delete;
  ~changed_future() {
    if (!queued_) return;
    waker old;
    detail::lock_guard lk(rx_->s_->lock);
    if (node_.is_linked()) node_.unlink();
    old = std::move(node_.w);
  }

  polled<result<void>> poll(context& cx) {
    auto* s = rx_->s_;
    if (rx_->take_change()) return done();
    waker old;
    detail::lock_guard lk(s->lock);
    if (rx_->take_change()) {  // invariant 1
      dequeue_locked(old);
      return result<void>{};
    }
    if (s->closed) {
      dequeue_locked(old);
      return result<void>(errc::closed);
    }
    old = sync::detail::update_waker(node_.w, cx);
    if (!node_.is_linked()) s->waiters.push_back(node_);
    queued_ = true;
    return pending;
  }

 private:
  polled<result<void>> done() {
    if (queued_) {
      waker old;
      detail::lock_guard lk(rx_->s_->lock);
      dequeue_locked(old);
    }
    return result<void>{};
  }
  void dequeue_locked(waker& old) noexcept {
    if (node_.is_linked()) node_.unlink();
    old = std::move(node_.w);
    queued_ = false;
  }

  receiver<T>* rx_;
  sync::detail::waiter_base node_;
  // Set while node_ may be linked or hold a waker. Only this future touches it
  // (a notifier moves node_.w out under the lock, so node_.w is no such flag).
  bool queued_ = false;
};

template <class T>
class receiver {
 public:
  receiver() noexcept = default;
  receiver(const receiver& o) noexcept : s_(o.s_), seen_(o.seen_) {
    if (s_) {
      s_->receivers.fetch_add(1, std::memory_order_relaxed);
      s_->refs.fetch_add(1, std::memory_order_relaxed);
    }
  }
  receiver(receiver&& o) noexcept : s_(std::exchange(o.s_, nullptr)), seen_(o.seen_) {}
  receiver& operator=(receiver o) noexcept {
    std::swap(s_, o.s_);
    std::swap(seen_, o.seen_);
    return *this;
  }
  ~receiver() {
    if (!s_) return;
    s_->receivers.fetch_sub(1, std::memory_order_acq_rel);
    s_->unref();
  }

  /// The current value, without marking it seen.
  [[nodiscard]] borrowed<T> borrow() const {
    std::shared_lock vl(s_->value_lock);  // the version cannot move while held
    const bool changed = s_->version.load(std::memory_order_relaxed) != seen_;
    return {std::move(vl), s_->value, changed};
  }
  /// The current value, marked seen.
  [[nodiscard]] borrowed<T> borrow_and_update() {
    std::shared_lock vl(s_->value_lock);
    const std::uint64_t v = s_->version.load(std::memory_order_relaxed);
    const bool changed = v != seen_;
    seen_ = v;
    return {std::move(vl), s_->value, changed};
  }
  /// Whether a value not yet seen is there; errc::closed when the sender is gone.
  [[nodiscard]] result<bool> has_changed() const {
    bool changed = s_->version.load(std::memory_order_acquire) != seen_;
    if (changed) return true;
    detail::lock_guard lk(s_->lock);
    if (s_->closed) return errc::closed;
    return false;
  }
  /// Waits for a value this receiver has not seen (and marks it seen).
  changed_future<T> changed() noexcept { return changed_future<T>(this); }

 private:
  friend class sender<T>;
  friend class changed_future<T>;
  template <class U>
  friend std::pair<sender<U>, receiver<U>> channel(U);
  receiver(detail::shared<T>* s, std::uint64_t seen) noexcept : s_(s), seen_(seen) {}

  bool take_change() noexcept {
    const std::uint64_t v = s_->version.load(std::memory_order_acquire);
    if (v == seen_) return false;
    seen_ = v;
    return true;
  }

  detail::shared<T>* s_ = nullptr;
  std::uint64_t seen_ = 0;
};

/// A watch channel holding `initial` (which counts as seen by the receiver).
template <class T>
[[nodiscard]] std::pair<sender<T>, receiver<T>> channel(T initial) {
  auto* s = new detail::shared<T>(std::move(initial));
  return {sender<T>(s), receiver<T>(s, 0)};
}

}  // namespace eddy::sync::watch
