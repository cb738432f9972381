// oneshot.hpp: a channel for exactly one value. `auto [tx, rx] = oneshot::channel<T>();`
// The receiver is itself a future: `result<T> r = co_await rx;` yields the value,
// or errc::closed once the sender is dropped without sending.
//
// State (one heap cell shared by both ends, guarded by a spin lock): the value,
// three flags and two waker slots, the receiver's (woken by send or by dropping
// the sender) and the sender's (woken when the receiver closes, for closed()).
//
// Thread safety: each end may live on a different thread or executor; one end is
// used by one thread at a time.
#pragma once

#include <atomic>
#include <optional>
#include <type_traits>
#include <utility>

#include <eddy/context.hpp>
#include <eddy/polled.hpp>
#include <eddy/result.hpp>
#include <eddy/sync/detail/waiter_list.hpp>
#include <eddy/sync/error.hpp>

namespace eddy::sync::oneshot {

namespace detail {

using sync::detail::lock_guard;

template <class T>
struct state {
  sync::detail::spin_lock lock;
  std::atomic<int> refs{2};
  bool value_sent = false;  // value holds the value until the receiver takes it
  bool tx_dropped = false;  // sender gone (after sending or not)
  bool rx_closed = false;   // receiver closed or dropped: send fails
  std::optional<T> value;
  waker rx_waker;
  waker tx_waker;

  void unref() noexcept {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
};

}  // namespace detail

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

  /// Sends the value; the sender becomes empty. Fails with errc::closed (and then
  /// leaves `v` unmoved) if the receiver closed or is gone.
  result<void> send(T&& v) { return emplace(std::move(v)); }
  result<void> send(const T& v) { return emplace(v); }

  /// True once the receiver closed or was dropped.
  [[nodiscard]] bool is_closed() const noexcept {
    sync::detail::lock_guard lk(s_->lock);
    return s_->rx_closed;
  }
  [[nodiscard]] bool valid() const noexcept { return s_ != nullptr; }

  /// Completes once the receiver closed or was dropped (to stop computing a value
  /// nobody wants). Must not outlive this sender.
  class closed_future {
   public:
    explicit closed_future(detail::state<T>* s) noexcept : s_(s) {}
    ~closed_future() {
      if (!registered_) return;
      waker old;
      sync::detail::lock_guard lk(s_->lock);
      old = std::move(s_->tx_waker);
    }
    closed_future(closed_future&& o) noexcept : s_(o.s_) {}
    polled<void> poll(context& cx) {
      waker old;
      sync::detail::lock_guard lk(s_->lock);
      if (s_->rx_closed) return ready();
      old = sync::detail::update_waker(s_->tx_waker, cx);
      registered_ = true;
      return pending;
    }

   private:
    detail::state<T>* s_;
    bool registered_ = false;
  };
  [[nodiscard]] closed_future closed() noexcept { return closed_future(s_); }

 private:
  template <class U>
  friend std::pair<sender<U>, receiver<U>> channel();
  explicit sender(detail::state<T>* s) noexcept : s_(s) {}

  template <class V>
  result<void> emplace(V&& v) {
    waker w;
    {
      sync::detail::lock_guard lk(s_->lock);
      if (s_->rx_closed) return errc::closed;
      s_->value.emplace(std::forward<V>(v));
      s_->value_sent = true;
      s_->tx_dropped = true;
      w = std::move(s_->rx_waker);
    }
    std::move(w).wake();
    std::exchange(s_, nullptr)->unref();
    return {};
  }

  void drop() noexcept {
    if (!s_) return;
    waker w;
    {
      sync::detail::lock_guard lk(s_->lock);
      s_->tx_dropped = true;
      w = std::move(s_->rx_waker);
    }
    std::move(w).wake();
    std::exchange(s_, nullptr)->unref();
  }

  detail::state<T>* s_ = nullptr;
};

/// A future: `co_await rx` yields result<T> (the value, or errc::closed when the
/// sender was dropped without sending). Polling again after it completed yields
/// errc::closed. Cancel-safe: a value sent to a receiver whose await was
/// cancelled stays in the receiver.
template <class T>
class receiver {
 public:
  receiver() noexcept = default;
  receiver(receiver&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  receiver& operator=(receiver&& o) noexcept {
    if (this != &o) {
      drop();
      s_ = std::exchange(o.s_, nullptr);
    }
    return *this;
  }
  ~receiver() { drop(); }

  polled<result<T>> poll(context& cx) {
    waker old;
    sync::detail::lock_guard lk(s_->lock);
    if (auto r = take_locked(); r.has_value() || r.error() != errc::empty) return r;
    old = sync::detail::update_waker(s_->rx_waker, cx);
    return pending;
  }

  /// The value if it was sent; errc::empty if not yet; errc::closed if it never
  /// will be.
  result<T> try_recv() {
    sync::detail::lock_guard lk(s_->lock);
    return take_locked();
  }

  /// Refuses further sends; a value already sent can still be received.
  void close() {
    waker w;
    {
      sync::detail::lock_guard lk(s_->lock);
      s_->rx_closed = true;
      w = std::move(s_->tx_waker);
    }
    std::move(w).wake();
  }

  [[nodiscard]] bool valid() const noexcept { return s_ != nullptr; }

 private:
  template <class U>
  friend std::pair<sender<U>, receiver<U>> channel();
  explicit receiver(detail::state<T>* s) noexcept : s_(s) {}

  result<T> take_locked() {
    if (s_->value_sent && s_->value) {
      result<T> r(std::move(*s_->value));
      s_->value.reset();
      return r;
    }
    if (s_->tx_dropped) return errc::closed;
    return errc::empty;
  }

  void drop() noexcept {
    if (!s_) return;
    waker w, old;
    std::optional<T> value;
    {
      sync::detail::lock_guard lk(s_->lock);
      s_->rx_closed = true;
      w = std::move(s_->tx_waker);
      old = std::move(s_->rx_waker);
      value = std::move(s_->value);  // its destructor runs outside the lock
    }
    std::move(w).wake();
    std::exchange(s_, nullptr)->unref();
  }

  detail::state<T>* s_ = nullptr;
};

/// Creates a oneshot channel (one allocation, shared by both ends).
template <class T>
[[nodiscard]] std::pair<sender<T>, receiver<T>> channel() {
  auto* s = new detail::state<T>;
  return {sender<T>(s), receiver<T>(s)};
}

}  // namespace eddy::sync::oneshot
