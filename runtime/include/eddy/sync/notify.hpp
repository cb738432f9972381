// notify.hpp: wakes tasks without carrying data, with Tokio's semantics.
//
//   co_await n.notified();   // waits for a notification
//   n.notify_one();          // wakes the first waiter, or stores one permit
//   n.notify_waiters();      // wakes every waiter present now; stores nothing
//
// notify_one with nobody waiting stores a single permit (several calls still make
// one) that the next notified() consumes at once, so a notification sent just
// before the waiter arrives is not lost. notify_waiters also completes every
// notified() future *created* before the call, even one not yet polled (it
// snapshots a generation counter when created).
//
// Waiters are served FIFO. A notified() future dropped after notify_one picked it
// but before it observed the notification passes it on (to the next waiter, or
// back as the permit), so a notify_one is never swallowed by a cancelled waiter.
//
// Thread safety: all members may be called from any thread; a notified() future is
// polled by one task at a time and must not outlive its notify.
#pragma once

#include <atomic>
#include <cstdint>

#include <eddy/context.hpp>
#include <eddy/polled.hpp>
#include <eddy/sync/detail/waiter_list.hpp>

namespace eddy::sync {

class notify {
  struct waiter : detail::waiter_base {
    bool notified_one = false;  // picked by notify_one (then unlinked)
  };

 public:
  class [[nodiscard]] notified_future {
   public:
    notified_future(notify* n, std::uint64_t generation) noexcept
        : n_(n), generation_(generation) {}
    /// Only before the first poll.
    notified_future(notified_future&& o) noexcept;
    notified_future& operator=(notified_future&&) = delete;
    ~notified_future();
    polled<void> poll(context& cx);

   private:
    enum class state : std::uint8_t { idle, queued, done };
    notify* n_;
    std::uint64_t generation_;
    waiter node_;
    state state_ = state::idle;
  };

  notify() noexcept = default;
  notify(const notify&) = delete;
  notify& operator=(const notify&) = delete;
  /// Precondition: no notified() future is pending.
  ~notify() = default;

  /// Completes on notify_one (or a stored permit) or on a notify_waiters made
  /// after this call.
  notified_future notified() noexcept {
    return {this, generation_.load(std::memory_order_acquire)};
  }
  void notify_one() noexcept;
  void notify_waiters() noexcept;

 private:
  [[nodiscard]] waker notify_one_locked() noexcept;

  detail::spin_lock lock_;
  bool permit_ = false;
  // Written under lock_; read without it only to snapshot in notified().
  std::atomic<std::uint64_t> generation_{0};
  detail::waiter_list<waiter> waiters_;
};

}  // namespace eddy::sync
