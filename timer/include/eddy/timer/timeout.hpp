// timeout.hpp: bounds how long a future may take.
//
//   auto r = co_await eddy::timeout(2s, stream.read(buf));
//   if (!r && r.error() == eddy::errc::timed_out) { ... }
//
// On timeout the inner future is destroyed at once, which cancels what it was
// waiting for (its timers, its I/O registrations): it is never polled again.
#pragma once

#include <optional>
#include <type_traits>
#include <utility>

#include <eddy/error.hpp>
#include <eddy/future.hpp>
#include <eddy/result.hpp>
#include <eddy/timer/sleep.hpp>

namespace eddy {

/// A future of result<T> (T: the inner future's output): the inner value if it
/// completes first, errc::timed_out if the deadline passes first (the inner
/// future is polled first, so a value ready at the deadline wins), or
/// errc::runtime_shutdown if the runtime is destroyed meanwhile.
/// Polling again after it completed is a precondition violation.
template <future F>
class timeout_future {
 public:
  using value_type = future_output_t<F>;
  using output_type = result<value_type>;

  timeout_future(F inner, timer::clock::time_point deadline) noexcept(
      std::is_nothrow_move_constructible_v<F>)
      : inner_(std::in_place, std::move(inner)), sleep_(deadline) {}

  polled<output_type> poll(context& cx) {
    // Precondition: not polled after completion.
    if constexpr (std::is_void_v<value_type>) {
      if (inner_->poll(cx).is_ready()) {
        finish();
        return output_type{};
      }
    } else {
      auto p = inner_->poll(cx);
      if (p.is_ready()) {
        output_type out(std::move(p).value());
        finish();
        return out;
      }
    }
    if (sleep_.poll(cx).is_pending()) return pending;
    inner_.reset();  // cancels what the inner future waits for
    std::error_code ec = sleep_.error();
    return output_type(ec ? ec : make_error_code(errc::timed_out));
  }

  [[nodiscard]] timer::clock::time_point deadline() const noexcept { return sleep_.deadline(); }

 private:
  // Releases the inner future and the timer (and the waker it holds) at once.
  void finish() noexcept {
    inner_.reset();
    sleep_.reset(sleep_.deadline());
  }

  std::optional<F> inner_;
  sleep_future sleep_;
};

/// Runs `fut` for at most `d` (from now, on the runtime's clock).
template <future F, class Rep, class Period>
[[nodiscard]] timeout_future<std::remove_cvref_t<F>> timeout(std::chrono::duration<Rep, Period> d,
                                                             F&& fut) {
  return {std::forward<F>(fut), timer::deadline_after(d)};
}

/// Runs `fut` until `deadline` at most.
template <future F>
[[nodiscard]] timeout_future<std::remove_cvref_t<F>> timeout_at(timer::clock::time_point deadline,
                                                                F&& fut) {
  return {std::forward<F>(fut), deadline};
}

}  // namespace eddy
