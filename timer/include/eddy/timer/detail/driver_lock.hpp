// driver_lock.hpp: the lock of a time_driver. A three-state futex lock (0 free,
// 1 held, 2 held with waiters; Drepper, "Futexes are tricky"), because every
// timer insert and cancel takes it: uncontended, lock is one compare-exchange
// and unlock one exchange, inline, where std::mutex costs two calls into
// pthread (about 50 instructions per pair on this machine). Contended, it spins
// briefly (the sections it guards are short), then sleeps in the kernel
// (std::atomic::wait), so a preempted holder is not spun against.
//
// Installed because time_driver embeds it; it is not an API. Meets Lockable.
#pragma once

#include <atomic>
#include <cstdint>

namespace eddy::timer::detail {

class driver_lock {
 public:
  driver_lock() = default;
  driver_lock(const driver_lock&) = delete;
  driver_lock& operator=(const driver_lock&) = delete;

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

}  // namespace eddy::timer::detail
