// mpsc.hpp: multi-producer, single-consumer FIFO channels.
//
//   auto [tx, rx] = mpsc::channel<T>(capacity);   // bounded: send waits for room
//   auto [tx, rx] = mpsc::unbounded_channel<T>(); // send never waits
//   co_await tx.send(v);            // result<void>: errc::closed if rx is gone
//   std::optional<T> v = co_await rx.recv();  // nullopt: all senders gone, drained
//
// State: one heap cell per channel (refcounted by the handles), guarded by a spin
// lock: a ring of values, the receiver's waker slot and a FIFO of senders waiting
// for room. Every operation is one lock/unlock pair plus, when the other side
// waits, one wake (a waiting receiver task's by reference under the lock, so its
// waker is cloned once, not per message; any other after unlocking); nothing
// allocates per message (a bounded ring is allocated once; an unbounded one
// doubles when full, outside the lock).
//
// Capacity of a bounded channel (lock held):
//   1. free = capacity - size - reserved, where `reserved` counts slots promised to
//      waiting senders that were woken but have not pushed yet.
//   2. While a sender waits, free == 0: a slot freed by recv (or given back by a
//      granted sender that was dropped) goes at once to the first waiter. So
//      senders are served in FIFO order and a new send never overtakes a waiter.
//
// Cancel safety: recv() takes a value only when it completes, so dropping a recv
// future loses nothing. Dropping a send future that has not completed drops its
// value (it was not sent) and passes any slot it was granted to the next waiter.
//
// Thread safety: senders may be copied and used from any threads; the receiver
// and its futures are used by one thread at a time. A future must not outlive
// the handle that made it, and at most one recv() future may be pending.
#pragma once

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <utility>

#include <eddy/context.hpp>
#include <eddy/polled.hpp>
#include <eddy/result.hpp>
#include <eddy/sync/detail/ring.hpp>
#include <eddy/sync/detail/waiter_list.hpp>
#include <eddy/sync/error.hpp>

namespace eddy::sync::mpsc {

namespace detail {

using sync::detail::lock_guard;
using sync::detail::update_waker;

template <class T>
struct chan {
  struct send_waiter : sync::detail::waiter_base {
    bool granted = false;  // a slot is reserved for it (it is unlinked)
  };

  chan(std::size_t bound, std::size_t initial) : ring(initial), bound(bound) {}

  sync::detail::spin_lock lock;
  sync::detail::ring<T> ring;
  const std::size_t bound;  // 0: unbounded
  std::size_t reserved = 0;
  bool rx_closed = false;   // receiver closed or dropped: sends fail
  bool tx_closed = false;   // every sender dropped
  bool rx_waiting = false;  // a recv() is pending on rx_waker
  // The receiver's last waker. It stays after a wake by reference, so a task that
  // receives in a loop registers (clones) its waker once, not once per wait.
  waker rx_waker;
  sync::detail::waiter_list<send_waiter> send_waiters;
  std::atomic<std::size_t> senders{1};
  std::atomic<std::size_t> refs{2};

  [[nodiscard]] std::size_t free_locked() const noexcept {
    return bound - ring.size() - reserved;  // invariant 1
  }

  /// Hands a free slot to the first waiting sender (invariant 2); returns the
  /// waker to wake after unlocking.
  [[nodiscard]] waker grant_locked() noexcept {
    if (send_waiters.empty() || free_locked() == 0) return {};
    send_waiter& w = send_waiters.front();
    send_waiters.pop_front();
    w.granted = true;
    ++reserved;
    return std::move(w.w);
  }

  /// Pushes and wakes a waiting receiver (see wake_rx_locked).
  template <class V>
  [[nodiscard]] waker push_locked(V&& v) {
    ring.push(std::forward<V>(v));
    return wake_rx_locked();
  }

  /// Ends the receiver's wait, if it waits: a task's waker is woken by reference
  /// now and stays in its slot (waiter_list.hpp rule 3's exception); any other
  /// waker is returned, to wake after unlocking.
  [[nodiscard]] waker wake_rx_locked() noexcept {
    if (!rx_waiting) return {};
    rx_waiting = false;
    if (sync::detail::wake_by_ref_locked(rx_waker)) return {};
    return std::move(rx_waker);
  }

  void add_sender() noexcept {
    senders.fetch_add(1, std::memory_order_relaxed);
    refs.fetch_add(1, std::memory_order_relaxed);
  }
  void drop_sender() noexcept {
    if (senders.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      waker w;
      {
        lock_guard lk(lock);
        tx_closed = true;
        w = wake_rx_locked();
      }
      std::move(w).wake();
    }
    unref();
  }

  void close() {
    lock_guard lk(lock);
    if (rx_closed) return;
    rx_closed = true;
    // Waiting senders see rx_closed when polled (wake_all's precondition).
    sync::detail::wake_all(lk, send_waiters, [](send_waiter&) {});
  }

  void drop_receiver() noexcept {
    close();
    waker old;
    for (;;) {  // values die outside the lock, one at a time
      lock_guard lk(lock);
      if (!old) old = std::move(rx_waker);
      rx_waiting = false;
      if (ring.empty()) break;
      [[maybe_unused]] T v = ring.pop();
      lk.unlock();
    }
    unref();
  }

  void unref() noexcept {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
};

}  // namespace detail

template <class T>
class receiver;
template <class T>
class sender;
template <class T>
class unbounded_sender;
template <class T>
std::pair<sender<T>, receiver<T>> channel(std::size_t capacity);
template <class T>
std::pair<unbounded_sender<T>, receiver<T>> unbounded_channel();

/// The future of sender<T>::send(): yields result<void> (errc::closed when the
/// receiver is gone or closed; the value is then dropped with the future).
template <class T>
class [[nodiscard]] send_future {
 public:
  send_future(detail::chan<T>* ch, T&& v) noexcept : ch_(ch), value_(std::move(v)) {}
  /// Only before the first poll (join/select move their futures in).
  send_future(send_future&& o) noexcept
      : ch_(o.ch_), value_(std::move(o.value_)), state_(o.state_) {
    assert(o.state_ != state::queued && "a send future must not move while it waits");
  }
  send_future& operator=(send_future&&) = delete;

  // The check inline, the work out of line: dropping a send that completed (the
  // common case) costs no call.
  ~send_future() {
    if (state_ == state::queued) [[unlikely]]
      leave_queue();
  }

  polled<result<void>> poll(context& cx) {
    assert(state_ != state::done && "send future polled after completion");
    // The common case inline: room, nobody queued, the receiver there.
    if (state_ == state::idle) [[likely]] {
      waker rx;
      bool sent;
      {
        std::lock_guard<sync::detail::spin_lock> g(ch_->lock);
        sent = !ch_->rx_closed && ch_->send_waiters.empty() && ch_->free_locked() > 0;
        if (sent) rx = ch_->push_locked(std::move(*value_));
      }
      if (sent) [[likely]] {
        state_ = state::done;
        std::move(rx).wake();
        return result<void>{};
      }
    }
    return poll_slow(cx);
  }

 private:
  // Everything but the inline case of poll(), which has unlocked again. `old` is
  // declared before the guard, so it is dropped after unlocking (rule 3).
  [[gnu::noinline]] polled<result<void>> poll_slow(context& cx) {
    waker old, rx;
    auto& ch = *ch_;
    detail::lock_guard lk(ch.lock);
    if (ch.rx_closed) {
      if (state_ == state::queued) {
        if (node_->is_linked())
          node_->unlink();
        else if (node_->granted)
          --ch.reserved;
        old = std::move(node_->w);
      }
      state_ = state::done;
      return errc::closed;
    }
    if (state_ == state::idle) {
      if (!ch.send_waiters.empty() || ch.free_locked() == 0) {
        node_.emplace();
        node_->w = cx.waker();
        ch.send_waiters.push_back(*node_);
        state_ = state::queued;
        return pending;
      }
    } else if (!node_->granted) {
      old = detail::update_waker(node_->w, cx);
      return pending;
    } else {
      node_->granted = false;
      --ch.reserved;
    }
    rx = ch.push_locked(std::move(*value_));
    state_ = state::done;
    lk.unlock();
    std::move(rx).wake();
    return result<void>{};
  }

  // Unlinks a waiting send, or passes on the slot it was granted (invariant 2).
  [[gnu::noinline]] void leave_queue() noexcept {
    waker old, next;
    {
      detail::lock_guard lk(ch_->lock);
      if (node_->is_linked()) {
        node_->unlink();
      } else if (node_->granted) {
        --ch_->reserved;
        next = ch_->grant_locked();  // invariant 2: pass the slot on
      }
      old = std::move(node_->w);
    }
    std::move(next).wake();
  }

  enum class state : std::uint8_t { idle, queued, done };
  detail::chan<T>* ch_;
  std::optional<T> value_;
  // Made only when the send has to wait: a send that finds room never builds (or
  // destroys) a list node.
  std::optional<typename detail::chan<T>::send_waiter> node_;
  state state_ = state::idle;
};

/// The future of receiver<T>::recv(): yields the next value, or std::nullopt once
/// every sender is gone (or the receiver closed) and the buffer is drained.
template <class T>
class [[nodiscard]] recv_future {
 public:
  explicit recv_future(detail::chan<T>* ch) noexcept : ch_(ch) {}
  recv_future(recv_future&& o) noexcept
      : ch_(o.ch_), registered_(std::exchange(o.registered_, false)) {}
  recv_future& operator=(recv_future&&) = delete;
  ~recv_future() {
    if (!registered_) return;
    waker old;  // a dropped wait leaves no waker behind
    detail::lock_guard lk(ch_->lock);
    ch_->rx_waiting = false;
    old = std::move(ch_->rx_waker);
  }

  polled<std::optional<T>> poll(context& cx) {
    waker old, next;
    detail::lock_guard lk(ch_->lock);
    if (!ch_->ring.empty()) {
      std::optional<T> v(ch_->ring.pop());
      next = ch_->grant_locked();
      if (registered_) {
        // Usually false already (a push ended the wait); clearing it now spares
        // the destructor a lock/unlock.
        ch_->rx_waiting = false;
        registered_ = false;
      }
      lk.unlock();
      std::move(next).wake();
      return v;
    }
    if (ch_->tx_closed || ch_->rx_closed) return std::optional<T>();
    old = detail::update_waker(ch_->rx_waker, cx);
    ch_->rx_waiting = true;
    registered_ = true;
    return pending;
  }

 private:
  detail::chan<T>* ch_;
  bool registered_ = false;
};

/// The receiving end of a bounded or unbounded channel. Dropping it closes the
/// channel and drops the values still buffered.
template <class T>
class receiver {
 public:
  receiver() noexcept = default;
  receiver(receiver&& o) noexcept : ch_(std::exchange(o.ch_, nullptr)) {}
  receiver& operator=(receiver&& o) noexcept {
    if (this != &o) {
      if (ch_) ch_->drop_receiver();
      ch_ = std::exchange(o.ch_, nullptr);
    }
    return *this;
  }
  ~receiver() {
    if (ch_) ch_->drop_receiver();
  }

  /// `std::optional<T> v = co_await rx.recv();`
  recv_future<T> recv() noexcept { return recv_future<T>(ch_); }

  /// A value if one is buffered; else errc::empty, or errc::closed when no value
  /// can ever arrive.
  result<T> try_recv() {
    waker next;
    detail::lock_guard lk(ch_->lock);
    if (ch_->ring.empty()) return (ch_->tx_closed || ch_->rx_closed) ? errc::closed : errc::empty;
    result<T> r(ch_->ring.pop());
    next = ch_->grant_locked();
    lk.unlock();
    std::move(next).wake();
    return r;
  }

  /// Refuses further sends (waiting senders fail with errc::closed); values
  /// already buffered can still be received.
  void close() { ch_->close(); }

  /// Values buffered right now.
  [[nodiscard]] std::size_t size() const noexcept {
    detail::lock_guard lk(ch_->lock);
    return ch_->ring.size();
  }
  [[nodiscard]] bool valid() const noexcept { return ch_ != nullptr; }

 private:
  friend std::pair<sender<T>, receiver<T>> channel<T>(std::size_t);
  friend std::pair<unbounded_sender<T>, receiver<T>> unbounded_channel<T>();
  explicit receiver(detail::chan<T>* ch) noexcept : ch_(ch) {}
  detail::chan<T>* ch_ = nullptr;
};

namespace detail {
/// What both sender kinds share: the reference and copy/drop semantics.
template <class T>
class sender_base {
 public:
  sender_base() noexcept = default;
  sender_base(const sender_base& o) noexcept : ch_(o.ch_) {
    if (ch_) ch_->add_sender();
  }
  sender_base(sender_base&& o) noexcept : ch_(std::exchange(o.ch_, nullptr)) {}
  sender_base& operator=(sender_base o) noexcept {
    std::swap(ch_, o.ch_);
    return *this;
  }
  ~sender_base() {
    if (ch_) ch_->drop_sender();
  }

  /// True once the receiver closed or was dropped.
  [[nodiscard]] bool is_closed() const noexcept {
    lock_guard lk(ch_->lock);
    return ch_->rx_closed;
  }
  [[nodiscard]] bool valid() const noexcept { return ch_ != nullptr; }

 protected:
  explicit sender_base(chan<T>* ch) noexcept : ch_(ch) {}
  chan<T>* ch_ = nullptr;
};
}  // namespace detail

/// The sending end of a bounded channel; copy it for more producers.
template <class T>
class sender : public detail::sender_base<T> {
 public:
  sender() noexcept = default;

  /// `result<void> r = co_await tx.send(v);` waits for room (FIFO among senders).
  send_future<T> send(T v) noexcept { return send_future<T>(this->ch_, std::move(v)); }

  /// Sends without waiting. errc::full when there is no room or senders wait
  /// already; errc::closed when the receiver is gone. `v` is moved from only on
  /// success.
  result<void> try_send(T&& v) { return try_emplace(std::move(v)); }
  result<void> try_send(const T& v) { return try_emplace(v); }

  /// Slots free right now.
  [[nodiscard]] std::size_t capacity() const noexcept {
    detail::lock_guard lk(this->ch_->lock);
    return this->ch_->free_locked();
  }
  [[nodiscard]] std::size_t max_capacity() const noexcept { return this->ch_->bound; }

 private:
  friend std::pair<sender<T>, receiver<T>> channel<T>(std::size_t);
  explicit sender(detail::chan<T>* ch) noexcept : detail::sender_base<T>(ch) {}

  template <class V>
  result<void> try_emplace(V&& v) {
    auto* ch = this->ch_;
    waker rx;
    {
      detail::lock_guard lk(ch->lock);
      if (ch->rx_closed) return errc::closed;
      if (!ch->send_waiters.empty() || ch->free_locked() == 0) return errc::full;
      rx = ch->push_locked(std::forward<V>(v));
    }
    std::move(rx).wake();
    return {};
  }
};

/// The sending end of an unbounded channel: send never waits.
template <class T>
class unbounded_sender : public detail::sender_base<T> {
 public:
  unbounded_sender() noexcept = default;

  /// errc::closed when the receiver is gone (`v` is then not moved from).
  result<void> send(T&& v) { return emplace(std::move(v)); }
  result<void> send(const T& v) { return emplace(v); }

 private:
  friend std::pair<unbounded_sender<T>, receiver<T>> unbounded_channel<T>();
  explicit unbounded_sender(detail::chan<T>* ch) noexcept : detail::sender_base<T>(ch) {}

  template <class V>
  result<void> emplace(V&& v) {
    auto* ch = this->ch_;
    for (;;) {
      waker rx;
      detail::lock_guard lk(ch->lock);
      if (ch->rx_closed) return errc::closed;
      if (!ch->ring.full()) {
        rx = ch->push_locked(std::forward<V>(v));
        lk.unlock();
        std::move(rx).wake();
        return {};
      }
      // Grow outside the lock; another sender may have grown it meanwhile.
      const std::size_t cap = ch->ring.capacity() * 2;
      lk.unlock();
      T* fresh = sync::detail::ring<T>::allocate(cap);
      std::pair<T*, std::size_t> old{fresh, cap};
      lk.lock();
      if (ch->ring.capacity() < cap) old = ch->ring.relocate(fresh, cap);
      lk.unlock();
      sync::detail::ring<T>::deallocate(old.first, old.second);
    }
  }
};

/// A bounded channel holding at most `capacity` values (> 0; the ring is
/// allocated now). Throws std::invalid_argument for 0.
template <class T>
[[nodiscard]] std::pair<sender<T>, receiver<T>> channel(std::size_t capacity) {
  if (capacity == 0) throw std::invalid_argument("eddy::sync::mpsc::channel: capacity 0");
  auto* ch = new detail::chan<T>(capacity, capacity);
  return {sender<T>(ch), receiver<T>(ch)};
}

/// An unbounded channel: its buffer starts small and doubles as needed.
template <class T>
[[nodiscard]] std::pair<unbounded_sender<T>, receiver<T>> unbounded_channel() {
  auto* ch = new detail::chan<T>(0, 16);
  return {unbounded_sender<T>(ch), receiver<T>(ch)};
}

}  // namespace eddy::sync::mpsc
