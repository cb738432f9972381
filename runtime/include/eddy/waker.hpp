// waker.hpp: the handle a future stores when it returns pending, and wakes when it
// can make progress. A waker is a data pointer plus a vtable, so each executor (or
// a user) brings its own wake-up strategy; see examples/timer_future for a custom
// one.
//
// Thread safety: a waker may be copied, moved, woken and destroyed from any
// thread; each vtable implementation must make that true for its data.
#pragma once

#include <utility>

namespace eddy {

struct waker_vtable;

/// The untyped pair a vtable's clone() returns.
struct raw_waker {
  void* data;
  const waker_vtable* vtable;
};

/// What a wake-up strategy implements. `wake` consumes the reference the waker
/// holds (it must release it, as `drop` would); `wake_by_ref` does not.
struct waker_vtable {
  raw_waker (*clone)(void* data);
  void (*wake)(void* data);
  void (*wake_by_ref)(void* data);
  void (*drop)(void* data);
};

class waker {
 public:
  /// An empty waker: wake() does nothing. Useful as a "no waiter" slot.
  constexpr waker() noexcept = default;
  /// Adopts one reference on `data` (no clone is made).
  constexpr waker(void* data, const waker_vtable* vtable) noexcept : data_(data), vtable_(vtable) {}
  explicit constexpr waker(raw_waker raw) noexcept : data_(raw.data), vtable_(raw.vtable) {}

  waker(const waker& o) noexcept : waker(o.vtable_ ? o.vtable_->clone(o.data_) : raw_waker{}) {}
  constexpr waker(waker&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), vtable_(std::exchange(o.vtable_, nullptr)) {}
  waker& operator=(const waker& o) noexcept {
    if (this != &o && !will_wake(o)) {
      waker tmp(o);
      swap(tmp);
    }
    return *this;
  }
  waker& operator=(waker&& o) noexcept {
    waker tmp(std::move(o));
    swap(tmp);
    return *this;
  }
  ~waker() {
    if (vtable_) vtable_->drop(data_);
  }

  /// Wakes the task and releases this waker (it becomes empty).
  void wake() && noexcept {
    if (auto* vt = std::exchange(vtable_, nullptr)) vt->wake(std::exchange(data_, nullptr));
  }
  /// Wakes the task and keeps this waker.
  void wake_by_ref() const noexcept {
    if (vtable_) vtable_->wake_by_ref(data_);
  }

  /// True if both wake the same task the same way: a future can then skip
  /// replacing the waker it stored.
  [[nodiscard]] bool will_wake(const waker& o) const noexcept {
    return data_ == o.data_ && vtable_ == o.vtable_;
  }
  [[nodiscard]] constexpr bool empty() const noexcept { return vtable_ == nullptr; }
  constexpr explicit operator bool() const noexcept { return vtable_ != nullptr; }

  /// Empties this waker, dropping its reference.
  void reset() noexcept { waker{}.swap(*this); }

  /// Releases ownership without dropping: the caller takes the reference.
  [[nodiscard]] raw_waker release() noexcept {
    return {std::exchange(data_, nullptr), std::exchange(vtable_, nullptr)};
  }

  [[nodiscard]] void* data() const noexcept { return data_; }
  [[nodiscard]] const waker_vtable* vtable() const noexcept { return vtable_; }

  constexpr void swap(waker& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(vtable_, o.vtable_);
  }

 private:
  void* data_ = nullptr;
  const waker_vtable* vtable_ = nullptr;
};

/// A waker that does nothing, for polling a future by hand.
waker noop_waker() noexcept;

}  // namespace eddy
