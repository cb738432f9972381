// broadcast.hpp: multi-producer, multi-consumer channel where every receiver sees
// every value (T must be copyable), held in a bounded ring.
//
//   auto [tx, rx] = broadcast::channel<T>(16);
//   auto rx2 = tx.subscribe();              // sees values sent from now on
//   tx.send(v);                             // never waits; result<size_t> receivers
//   auto r = co_await rx.recv();            // recv_result<T>
//   if (!r && r.error() == errc::lagged) skipped += r.lagged();
//
// A sender never waits for slow receivers: when the ring is full the oldest value
// is overwritten, and a receiver that had not read it gets errc::lagged with the
// number of values it missed, then continues from the oldest value still held.
// A value is destroyed once every receiver that was subscribed when it was sent
// has read it (the last reader moves it out instead of copying) or when it is
// overwritten.
//
// State (one spin lock): the ring of slots {value, position, readers left}, the
// write position `tail`, sender and receiver counts, and the receivers' recv
// waiters (a send wakes them all). Each receiver keeps its own read position;
// recv takes a value only when it completes, so dropping a recv future loses
// nothing. Values are copied under the lock: keep T cheap to copy (or share it,
// e.g. std::shared_ptr<const U>).
//
// Thread safety: senders may be copied and used from any threads; each receiver
// is used by one thread at a time and has at most one recv() pending.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>

#include <eddy/context.hpp>
#include <eddy/polled.hpp>
#include <eddy/result.hpp>
#include <eddy/sync/detail/waiter_list.hpp>
#include <eddy/sync/error.hpp>

namespace eddy::sync::broadcast {

/// What recv yields: a value, errc::closed (every sender gone and everything
/// read) or errc::lagged with lagged() values missed.
template <class T>
class recv_result : public result<T> {
 public:
  using result<T>::result;
  static recv_result make_lagged(std::uint64_t n) {
    recv_result r(errc::lagged);
    r.lagged_ = n;
    return r;
  }
  /// How many values were missed (only with errc::lagged).
  [[nodiscard]] std::uint64_t lagged() const noexcept { return lagged_; }

 private:
  std::uint64_t lagged_ = 0;
};

namespace detail {

using sync::detail::lock_guard;

template <class T>
struct shared {
  struct slot {
    std::optional<T> value;
    std::uint64_t pos = 0;
    std::size_t readers = 0;  // receivers that have still to read it
  };

  explicit shared(std::size_t cap) : slots(new slot[cap]), capacity(cap) {}

  sync::detail::spin_lock lock;
  std::unique_ptr<slot[]> slots;
  const std::size_t capacity;  // a power of two
  std::uint64_t tail = 0;      // position of the next send
  std::size_t senders = 1;
  std::size_t receivers = 1;
  sync::detail::waiter_list<sync::detail::waiter_base> waiters;
  std::atomic<std::size_t> refs{2};

  slot& at(std::uint64_t pos) noexcept { return slots[pos & (capacity - 1)]; }
  [[nodiscard]] std::uint64_t oldest() const noexcept {
    return tail > capacity ? tail - capacity : 0;
  }

  /// One step of a receiver at `next`; errc::empty when nothing is there yet.
  recv_result<T> take_locked(std::uint64_t& next) {
    if (next == tail) return senders == 0 ? errc::closed : errc::empty;
    if (next < oldest()) {
      const std::uint64_t missed = oldest() - next;
      next = oldest();
      return recv_result<T>::make_lagged(missed);
    }
    slot& s = at(next);
    if (s.readers != 1) {
      recv_result<T> r(*s.value);  // a throwing copy leaves this receiver where it was
      --s.readers;
      ++next;
      return r;
    }
    recv_result<T> r(std::move(*s.value));
    s.value.reset();
    s.readers = 0;
    ++next;
    return r;
  }

  /// A receiver at `next` leaves: it will never read the values it has not read.
  /// Forgets one (false when none is left); a value nobody else will read moves
  /// to `out`, to be destroyed outside the lock.
  bool forget_one_locked(std::uint64_t& next, std::optional<T>& out) {
    if (next < oldest()) next = oldest();
    if (next == tail) return false;
    slot& s = at(next++);
    if (--s.readers == 0) out = std::move(s.value), s.value.reset();
    return true;
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
std::pair<sender<T>, receiver<T>> channel(std::size_t capacity);

/// The future of receiver::recv(). Cancel-safe.
template <class T>
class [[nodiscard]] recv_future {
 public:
  explicit recv_future(receiver<T>* rx) noexcept : rx_(rx) {}
  recv_future(recv_future&& o) noexcept : rx_(o.rx_) {}
  recv_future& operator=(recv_future&&) = delete;
  ~recv_future() {
    if (!queued_) return;
    waker old;
    detail::lock_guard lk(rx_->s_->lock);
    if (node_.is_linked()) node_.unlink();
    old = std::move(node_.w);
  }

  polled<recv_result<T>> poll(context& cx) {
    auto* s = rx_->s_;
    waker old;
    detail::lock_guard lk(s->lock);
    auto r = s->take_locked(rx_->next_);
    if (r.has_value() || r.error() != errc::empty) {
      if (node_.is_linked()) node_.unlink();
      old = std::move(node_.w);
      queued_ = false;
      return r;
    }
    old = sync::detail::update_waker(node_.w, cx);
    if (!node_.is_linked()) s->waiters.push_back(node_);
    queued_ = true;
    return pending;
  }

 private:
  receiver<T>* rx_;
  sync::detail::waiter_base node_;
  bool queued_ = false;  // node_ may be linked or hold a waker; only we touch it
};

template <class T>
class receiver {
 public:
  receiver() noexcept = default;
  receiver(receiver&& o) noexcept : s_(std::exchange(o.s_, nullptr)), next_(o.next_) {}
  receiver& operator=(receiver o) noexcept {
    std::swap(s_, o.s_);
    std::swap(next_, o.next_);
    return *this;
  }
  ~receiver() {
    if (!s_) return;
    for (;;) {  // unread values this receiver was counted for; destroyed unlocked
      std::optional<T> dead;
      detail::lock_guard lk(s_->lock);
      if (!s_->forget_one_locked(next_, dead)) {
        --s_->receivers;
        break;
      }
      lk.unlock();
    }
    s_->unref();
  }

  /// `recv_result<T> r = co_await rx.recv();`
  recv_future<T> recv() noexcept { return recv_future<T>(this); }
  /// Like recv without waiting: errc::empty when nothing new is there.
  recv_result<T> try_recv() {
    detail::lock_guard lk(s_->lock);
    return s_->take_locked(next_);
  }
  /// A new receiver that sees values sent from now on.
  [[nodiscard]] receiver resubscribe() const;
  /// Values sent that this receiver has not read (including ones it will miss).
  [[nodiscard]] std::size_t len() const noexcept {
    detail::lock_guard lk(s_->lock);
    return static_cast<std::size_t>(s_->tail - next_);
  }

 private:
  template <class U>
  friend class sender;
  friend class recv_future<T>;
  template <class U>
  friend std::pair<sender<U>, receiver<U>> channel(std::size_t);
  receiver(detail::shared<T>* s, std::uint64_t next) noexcept : s_(s), next_(next) {}

  detail::shared<T>* s_ = nullptr;
  std::uint64_t next_ = 0;
};

template <class T>
class sender {
 public:
  sender() noexcept = default;
  sender(const sender& o) noexcept : s_(o.s_) {
    if (!s_) return;
    s_->refs.fetch_add(1, std::memory_order_relaxed);
    detail::lock_guard lk(s_->lock);
    ++s_->senders;
  }
  sender(sender&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  sender& operator=(sender o) noexcept {
    std::swap(s_, o.s_);
    return *this;
  }
  ~sender() {
    if (!s_) return;
    detail::lock_guard lk(s_->lock);
    if (--s_->senders == 0)
      sync::detail::wake_all(lk, s_->waiters, [](sync::detail::waiter_base&) {});
    else
      lk.unlock();
    s_->unref();
  }

  /// Sends to every current receiver; yields how many there are. errc::closed
  /// (and `v` is not moved from) when there is none. Never waits.
  result<std::size_t> send(T&& v) { return emplace(std::move(v)); }
  result<std::size_t> send(const T& v) { return emplace(v); }

  /// A new receiver that sees values sent from now on.
  [[nodiscard]] receiver<T> subscribe() const {
    s_->refs.fetch_add(1, std::memory_order_relaxed);
    detail::lock_guard lk(s_->lock);
    ++s_->receivers;
    return receiver<T>(s_, s_->tail);
  }
  [[nodiscard]] std::size_t receiver_count() const noexcept {
    detail::lock_guard lk(s_->lock);
    return s_->receivers;
  }

 private:
  template <class U>
  friend std::pair<sender<U>, receiver<U>> channel(std::size_t);
  explicit sender(detail::shared<T>* s) noexcept : s_(s) {}

  template <class V>
  result<std::size_t> emplace(V&& v) {
    std::optional<T> overwritten;  // destroyed after unlocking
    detail::lock_guard lk(s_->lock);
    const std::size_t n = s_->receivers;
    if (n == 0) return errc::closed;
    auto& slot = s_->at(s_->tail);
    overwritten = std::move(slot.value);
    slot.value.emplace(std::forward<V>(v));
    slot.pos = s_->tail++;
    slot.readers = n;
    sync::detail::wake_all(lk, s_->waiters, [](sync::detail::waiter_base&) {});
    return n;
  }

  detail::shared<T>* s_ = nullptr;
};

template <class T>
receiver<T> receiver<T>::resubscribe() const {
  s_->refs.fetch_add(1, std::memory_order_relaxed);
  detail::lock_guard lk(s_->lock);
  ++s_->receivers;
  return receiver<T>(s_, s_->tail);
}

/// A broadcast channel keeping the last `capacity` values (rounded up to a power
/// of two; > 0, else std::invalid_argument).
template <class T>
[[nodiscard]] std::pair<sender<T>, receiver<T>> channel(std::size_t capacity) {
  if (capacity == 0) throw std::invalid_argument("eddy::sync::broadcast::channel: capacity 0");
  auto* s = new detail::shared<T>(std::bit_ceil(capacity));
  return {sender<T>(s), receiver<T>(s, 0)};
}

}  // namespace eddy::sync::broadcast
