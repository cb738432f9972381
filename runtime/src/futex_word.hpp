// futex_word.hpp: sleep on, and wake a sleeper of, one 32-bit atomic word.
//
// Why not std::mutex + std::condition_variable for a worker's park: glibc's
// condition-variable wait re-takes the mutex marked as contended, so every wake
// is followed by an unlock that makes a FUTEX_WAKE nobody needs, about one
// extra syscall per sleep. A bare word with a wait on its "sleeping" value and
// a wake by whoever changes it costs one FUTEX_WAIT per sleep and one
// FUTEX_WAKE per wake of a sleeper, nothing when nobody sleeps.
//
// On Linux these are the private futex operations themselves (no spinning, no
// shared waiter table); elsewhere std::atomic wait / notify_one.
#pragma once

#include <atomic>
#include <cstdint>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace eddy::detail {

/// Blocks while `word` holds `expected`; may return spuriously (callers loop).
inline void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected) noexcept {
#if defined(__linux__)
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected,
            nullptr, nullptr, 0);
#else
  word.wait(expected, std::memory_order_acquire);
#endif
}

/// Wakes one thread blocked in futex_wait on `word`, if any.
inline void futex_wake_one(std::atomic<std::uint32_t>& word) noexcept {
#if defined(__linux__)
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, 1, nullptr,
            nullptr, 0);
#else
  word.notify_one();
#endif
}

}  // namespace eddy::detail
