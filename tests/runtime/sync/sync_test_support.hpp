// sync_test_support.hpp: drives sync futures by hand, each with its own counting
// waker, so a test can see exactly which waiter was woken and that no waker is
// left behind.
#pragma once

#include <atomic>

#include <eddy/context.hpp>
#include <eddy/executor.hpp>
#include <eddy/join.hpp>
#include <eddy/task.hpp>
#include <eddy/waker.hpp>
#include <eddy/yield_now.hpp>

namespace eddy::sync::test {

/// A task stand-in: a waker counting clones, drops and wakes (atomics: any
/// thread), a context over it, and a poll helper.
class probe {
 public:
  probe() : w_(this, vtable()) { clones_ = 1; }
  probe(const probe&) = delete;
  probe& operator=(const probe&) = delete;

  template <class F>
  auto poll(F& f) {
    return f.poll(cx_);
  }
  [[nodiscard]] int wakes() const { return wakes_.load(); }
  /// Clones of this probe's waker still held by someone other than the probe.
  [[nodiscard]] int held() const { return clones_.load() - drops_.load() - 1; }
  [[nodiscard]] context& cx() { return cx_; }

 private:
  static const waker_vtable* vtable() {
    static constexpr waker_vtable vt{[](void* p) -> raw_waker {
                                       static_cast<probe*>(p)->clones_++;
                                       return {p, vtable()};
                                     },
                                     [](void* p) {
                                       static_cast<probe*>(p)->wakes_++;
                                       static_cast<probe*>(p)->drops_++;
                                     },
                                     [](void* p) { static_cast<probe*>(p)->wakes_++; },
                                     [](void* p) { static_cast<probe*>(p)->drops_++; }};
    return &vt;
  }

  std::atomic<int> clones_{0}, drops_{0}, wakes_{0};
  waker w_;
  context cx_{w_};
};

/// Counts destructions (to prove a value was dropped, or not).
struct tracked {
  int value = 0;
  int* drops = nullptr;
  tracked(int v, int* d) noexcept : value(v), drops(d) {}
  tracked(tracked&& o) noexcept : value(o.value), drops(std::exchange(o.drops, nullptr)) {}
  tracked& operator=(tracked&& o) noexcept {
    value = o.value;
    drops = std::exchange(o.drops, nullptr);
    return *this;
  }
  ~tracked() {
    if (drops) ++*drops;
  }
};

}  // namespace eddy::sync::test
