// polled.hpp: the result of polling a future once: ready with a value, or pending.
// Named `polled` rather than `poll` so that it reads well next to the member
// function every future has: `polled<std::size_t> poll(context& cx);`
#pragma once

#include <cassert>
#include <optional>
#include <type_traits>
#include <utility>

namespace eddy {

/// Tag meaning "not ready yet"; convertible to any `polled<T>`.
struct pending_t {
  explicit constexpr pending_t() = default;
};
inline constexpr pending_t pending{};

/// Ready(T) or Pending. A future that returns pending has stored the waker of the
/// context it was polled with and will wake it when progress is possible.
template <class T>
class [[nodiscard]] polled {
 public:
  using value_type = T;

  constexpr polled(pending_t) noexcept {}
  template <class U = T>
  requires std::is_constructible_v<T, U&&>
  constexpr polled(U&& v) : value_(std::in_place, std::forward<U>(v)) {}

  [[nodiscard]] constexpr bool is_ready() const noexcept { return value_.has_value(); }
  [[nodiscard]] constexpr bool is_pending() const noexcept { return !value_.has_value(); }
  constexpr explicit operator bool() const noexcept { return is_ready(); }

  /// Precondition: is_ready().
  constexpr T& value() & noexcept {
    assert(is_ready());
    return *value_;
  }
  constexpr T&& value() && noexcept {
    assert(is_ready());
    return std::move(*value_);
  }

 private:
  std::optional<T> value_;
};

/// polled<void>: ready or pending, no value.
template <>
class [[nodiscard]] polled<void> {
 public:
  using value_type = void;
  constexpr polled(pending_t) noexcept {}
  struct ready_t {};
  constexpr polled(ready_t) noexcept : ready_(true) {}
  [[nodiscard]] constexpr bool is_ready() const noexcept { return ready_; }
  [[nodiscard]] constexpr bool is_pending() const noexcept { return !ready_; }
  constexpr explicit operator bool() const noexcept { return ready_; }
  constexpr void value() const noexcept { assert(ready_); }

 private:
  bool ready_ = false;
};

/// `return ready();` from a `polled<void> poll(context&)`.
constexpr polled<void> ready() noexcept { return polled<void>::ready_t{}; }

}  // namespace eddy
