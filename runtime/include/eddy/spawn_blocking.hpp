// spawn_blocking.hpp: runs a blocking function (file I/O, getaddrinfo, a long
// computation) on a thread pool instead of an executor thread, and gives back a
// future of its result.
//
// The pool is process-wide, starts empty, grows one thread per job while every
// thread is busy, up to max_threads (default 64; later jobs queue), and a thread
// that stays idle for keep_alive (default 10 s) exits.
//
// Thread safety: everything here may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

#include <eddy/context.hpp>
#include <eddy/polled.hpp>
#include <eddy/waker.hpp>

namespace eddy {

struct blocking_pool_options {
  std::size_t max_threads = 64;
  std::chrono::milliseconds keep_alive{10'000};
};

/// Changes the pool's limits; threads above a lowered limit exit once idle.
void configure_blocking_pool(const blocking_pool_options& opts);

/// Threads the pool has now (busy or idle), for tests and metrics.
std::size_t blocking_pool_threads() noexcept;

namespace detail {

void submit_blocking(std::function<void()> job);

template <class T>
struct blocking_state {
  std::mutex mutex;
  bool done = false;
  std::optional<std::conditional_t<std::is_void_v<T>, bool, T>> value;
  std::exception_ptr error;
  waker waiter;

  void finish() {
    waker w;
    {
      std::lock_guard lock(mutex);
      done = true;
      w = std::move(waiter);
    }
    std::move(w).wake();  // outside the lock
  }
};

}  // namespace detail

/// The future of a spawn_blocking call: ready with the function's value, or
/// rethrows what it threw. Dropping it does not stop the function.
template <class T>
class [[nodiscard]] blocking_handle {
 public:
  explicit blocking_handle(std::shared_ptr<detail::blocking_state<T>> s) : state_(std::move(s)) {}

  polled<T> poll(context& cx) {
    {
      std::lock_guard lock(state_->mutex);
      if (!state_->done) {
        if (!state_->waiter.will_wake(cx.waker())) state_->waiter = cx.waker();
        return pending;
      }
    }
    if (state_->error) std::rethrow_exception(state_->error);
    if constexpr (std::is_void_v<T>)
      return ready();
    else
      return std::move(*state_->value);
  }

 private:
  std::shared_ptr<detail::blocking_state<T>> state_;
};

/// Runs `fn()` on the blocking pool.
template <class F, class T = std::invoke_result_t<std::decay_t<F>>>
blocking_handle<T> spawn_blocking(F&& fn) {
  auto state = std::make_shared<detail::blocking_state<T>>();
  detail::submit_blocking([state, f = std::forward<F>(fn)]() mutable {
    try {
      if constexpr (std::is_void_v<T>) {
        f();
        state->value.emplace(true);
      } else {
        state->value.emplace(f());
      }
    } catch (...) {
      state->error = std::current_exception();
    }
    state->finish();
  });
  return blocking_handle<T>(std::move(state));
}

}  // namespace eddy
