// futex.hpp: the two futex operations the reactor parks with when it has no
// descriptor to wait for (reactor_impl.hpp, invariant 4). Linux only, like the
// epoll backend beside it. Private futexes: the word never leaves the process.
#pragma once

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

namespace eddy::detail::futex {

/// Sleeps while `*word == expected`, at most `timeout` (nullopt: no limit), until
/// wake(). Returns early on a signal or a spurious wake-up; callers re-check.
inline void wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                 std::optional<std::chrono::nanoseconds> timeout) noexcept {
  timespec ts{};
  timespec* tp = nullptr;
  if (timeout) {
    const std::int64_t ns = timeout->count() > 0 ? timeout->count() : 0;
    ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    tp = &ts;
  }
  // Relative timeout, measured on CLOCK_MONOTONIC (FUTEX_WAIT's rule).
  (void)::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected,
                  tp, nullptr, 0);
}

/// Wakes one thread sleeping in wait() on `word`.
inline void wake_one(std::atomic<std::uint32_t>& word) noexcept {
  (void)::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, 1,
                  nullptr, nullptr, 0);
}

}  // namespace eddy::detail::futex
