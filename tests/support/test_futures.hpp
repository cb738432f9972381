// test_futures.hpp: leaf futures and wakers whose every poll and wake the tests can
// count and control.
#pragma once

#include <atomic>
#include <eddy/runtime.hpp>

namespace eddy::test {

/// A waker that counts clones, drops and wakes (all atomics: safe from any thread).
struct counting_waker {
  std::atomic<int> clones{0}, drops{0}, wakes{0};

  static const waker_vtable* vtable() {
    static constexpr waker_vtable vt{[](void* p) -> raw_waker {
                                       static_cast<counting_waker*>(p)->clones++;
                                       return {p, vtable()};
                                     },
                                     [](void* p) {
                                       auto* s = static_cast<counting_waker*>(p);
                                       s->wakes++;
                                       s->drops++;
                                     },
                                     [](void* p) { static_cast<counting_waker*>(p)->wakes++; },
                                     [](void* p) { static_cast<counting_waker*>(p)->drops++; }};
    return &vt;
  }
  /// A waker that owns one "reference" (counted as a clone).
  waker make() {
    clones++;
    return waker(this, vtable());
  }
  [[nodiscard]] int live() const { return clones.load() - drops.load(); }
};

/// A one-shot event set by the test; counts how often it was polled.
struct manual_event {
  int polls = 0;
  bool set = false;
  waker stored;

  void fire() {
    set = true;
    stored.wake_by_ref();
  }
  /// Wakes the waiting task without setting the event (a spurious wake).
  void spurious_wake() { stored.wake_by_ref(); }

  struct wait_future {
    manual_event* ev;
    polled<void> poll(context& cx) {
      ++ev->polls;
      if (ev->set) return ready();
      if (!ev->stored.will_wake(cx.waker())) ev->stored = cx.waker();
      return pending;
    }
  };
  wait_future wait() { return {this}; }
};

}  // namespace eddy::test
