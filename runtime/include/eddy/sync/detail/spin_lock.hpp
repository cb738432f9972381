// spin_lock.hpp: the small lock that guards every sync primitive's state. Critical
// sections are a few loads and stores (no allocation, no waker ever runs under
// it), so an uncontended lock/unlock is one exchange and one store, with no
// syscall. A waiter that spins too long yields its thread, because on an
// oversubscribed machine the holder may have been preempted.
#pragma once

#include <atomic>
#include <thread>

namespace eddy::sync::detail {

class spin_lock {
 public:
  void lock() noexcept {
    for (;;) {
      // acquire: pairs with the release in unlock().
      if (!locked_.exchange(true, std::memory_order_acquire)) return;
      for (int spins = 0; locked_.load(std::memory_order_relaxed); ++spins) {
        if (spins < 64)
          pause();
        else
          std::this_thread::yield();
      }
    }
  }
  bool try_lock() noexcept {
    return !locked_.load(std::memory_order_relaxed) &&
           !locked_.exchange(true, std::memory_order_acquire);
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  static void pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }
  std::atomic<bool> locked_{false};
};

}  // namespace eddy::sync::detail
