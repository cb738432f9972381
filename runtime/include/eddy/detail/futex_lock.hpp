// futex_lock.hpp: a small lock for short critical sections on hot paths. A
// three-state futex lock (0 free, 1 held, 2 held with waiters; Drepper,
// "Futexes are tricky"): uncontended, lock is one compare-exchange and unlock
// one exchange, inline, where std::mutex costs two calls into pthread (about 50
// instructions per pair on this machine) and 40 bytes. Contended, it spins
// briefly (the sections it guards are short), then sleeps in the kernel
// (std::atomic::wait), so a preempted holder is not spun against.
//
// Used by the time driver (every timer insert and cancel) and by the reactor's
// registration slots (every wait that finds no readiness). Not an API; meets
// Lockable, so std::lock_guard and std::unique_lock work with it.
#pragma once

#include <atomic>
#include <cstdint>

namespace eddy::detail {

class futex_lock {
 public:
  futex_lock() = default;
  futex_lock(const futex_lock&) = delete;
  futex_lock& operator=(const futex_lock&) = delete;

  void lock() noexcept {
    std::uint32_t expected = 0;
    if (state_.compare_exchange_strong(expected, 1, std::memory_order_acquire,
                                       std::memory_order_relaxed)) [[likely]] {
      return;
    }
    lock_contended();
  }

  [[nodiscard]] bool try_lock() noexcept {
    std::uint32_t expected = 0;
    return state_.compare_exchange_strong(expected, 1, std::memory_order_acquire,
                                          std::memory_order_relaxed);
  }

  void unlock() noexcept {
    if (state_.exchange(0, std::memory_order_release) == 2) [[unlikely]] {
      state_.notify_one();
    }
  }

 private:
  void lock_contended() noexcept {
    for (int i = 0; i < 64; ++i) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
      if (state_.load(std::memory_order_relaxed) == 0 && try_lock()) return;
    }
    // From here on the lock is marked "waiters" (2): the unlocker must wake one.
    while (state_.exchange(2, std::memory_order_acquire) != 0) {
      state_.wait(2, std::memory_order_relaxed);
    }
  }

  std::atomic<std::uint32_t> state_{0};
};

}  // namespace eddy::detail
