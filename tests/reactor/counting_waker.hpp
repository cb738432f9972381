// counting_waker.hpp: a waker for polling leaf futures by hand. It counts wakes and
// live references (so a test can prove a dropped registration released its waker)
// and lets another thread block until the next wake.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <eddy/waker.hpp>

namespace eddy::test {

class counting_waker {
 public:
  counting_waker() = default;
  counting_waker(const counting_waker&) = delete;
  counting_waker& operator=(const counting_waker&) = delete;
  // Another thread may still be inside wake() (between counting and dropping):
  // wait for the last reference, bounded so a leak fails loudly instead of hanging.
  ~counting_waker() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (refs_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    std::lock_guard lock(mutex_);
  }

  /// A new reference; it must be dropped (or woken) before this object dies.
  [[nodiscard]] waker make() {
    refs_.fetch_add(1);
    return waker(this, &vtable);
  }

  [[nodiscard]] int wakes() const { return wakes_.load(); }
  [[nodiscard]] int refs() const { return refs_.load(); }

  /// Blocks until wakes() > seen or the timeout passes; returns wakes().
  int wait_beyond(int seen, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, timeout, [&] { return wakes_.load() > seen; });
    return wakes_.load();
  }

 private:
  static raw_waker clone(void* p) {
    static_cast<counting_waker*>(p)->refs_.fetch_add(1);
    return {p, &vtable};
  }
  // A by-value wake consumes its reference before the wake becomes visible: a
  // test that saw the wake and then checks refs() must not find it still held
  // (it did, now and then, with the reactor thread waking: count, notify, drop).
  static void wake(void* p) {
    auto* self = static_cast<counting_waker*>(p);
    std::lock_guard lock(self->mutex_);
    self->refs_.fetch_sub(1);
    self->wakes_.fetch_add(1);
    self->cv_.notify_all();
  }
  static void wake_by_ref(void* p) {
    auto* self = static_cast<counting_waker*>(p);
    std::lock_guard lock(self->mutex_);
    self->wakes_.fetch_add(1);
    self->cv_.notify_all();  // under the lock: the waiter may destroy *self next
  }
  static void drop(void* p) { static_cast<counting_waker*>(p)->refs_.fetch_sub(1); }
  static constexpr waker_vtable vtable{clone, wake, wake_by_ref, drop};

  std::atomic<int> wakes_{0};
  std::atomic<int> refs_{0};
  std::mutex mutex_;
  std::condition_variable cv_;
};

}  // namespace eddy::test
