// semaphore.hpp: an async counting semaphore, fair in FIFO order.
//
//   co_await sem.acquire(n);   // waits until n permits are assigned to it
//   ...
//   sem.release(n);
//
// Permits go to waiters strictly in arrival order: release() assigns permits to
// the first waiter, partially if it needs more than are free, and later waiters
// (even ones needing fewer) wait behind it. Hence the invariant:
//   1. While any acquire waits, no permit is free (available() == 0).
// A waiting acquire that is dropped gives back the permits it had been assigned,
// which then go to the next waiters: nothing is lost, and no waker stays behind.
//
// Thread safety: every member may be called from any thread; an acquire future is
// polled by one task at a time and must not outlive its semaphore.
#pragma once

#include <cstddef>
#include <cstdint>

#include <eddy/context.hpp>
#include <eddy/polled.hpp>
#include <eddy/sync/detail/waiter_list.hpp>

namespace eddy::sync {

class semaphore {
  struct waiter : detail::waiter_base {
    std::size_t needed = 0;  // permits still to be assigned; 0 and unlinked: done
  };

 public:
  /// The future of acquire(n): ready once n permits are assigned to it.
  class [[nodiscard]] acquire_future {
   public:
    acquire_future(semaphore* s, std::size_t n) noexcept : sem_(s), n_(n) {}
    /// Only before the first poll.
    acquire_future(acquire_future&& o) noexcept;
    acquire_future& operator=(acquire_future&&) = delete;
    ~acquire_future();
    polled<void> poll(context& cx);

   private:
    enum class state : std::uint8_t { idle, queued, done };
    semaphore* sem_;
    std::size_t n_;
    waiter node_;
    state state_ = state::idle;
  };

  explicit semaphore(std::size_t permits) noexcept : permits_(permits) {}
  semaphore(const semaphore&) = delete;
  semaphore& operator=(const semaphore&) = delete;
  /// Precondition: no acquire waits.
  ~semaphore() = default;

  /// Waits (FIFO) until `n` permits are this caller's.
  acquire_future acquire(std::size_t n = 1) noexcept { return {this, n}; }
  /// Takes `n` permits if they are free and nobody waits.
  [[nodiscard]] bool try_acquire(std::size_t n = 1) noexcept;
  /// Adds `n` permits, handing them to waiters first.
  void release(std::size_t n = 1) noexcept;
  /// Permits free right now.
  [[nodiscard]] std::size_t available() const noexcept;

 private:
  mutable detail::spin_lock lock_;
  std::size_t permits_;
  detail::waiter_list<waiter> waiters_;
};

}  // namespace eddy::sync
