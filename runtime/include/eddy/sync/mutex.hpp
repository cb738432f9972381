// mutex.hpp: an async mutex: `mutex_guard g = co_await m.lock();` Waiting tasks
// are served in FIFO order; the guard unlocks when destroyed (or by unlock()).
// A mutex is a semaphore with one permit, so it inherits its fairness and cancel
// safety: a lock future dropped while it waits leaves the queue, and one dropped
// after it was handed the lock passes the lock on.
//
// Unlike std::mutex, the lock is not tied to a thread: a guard may be held across
// co_await and moved to, and released on, another thread.
#pragma once

#include <optional>
#include <utility>

#include <eddy/context.hpp>
#include <eddy/polled.hpp>
#include <eddy/sync/semaphore.hpp>

namespace eddy::sync {

class mutex;

/// Owns the lock of a mutex; movable.
class [[nodiscard]] mutex_guard {
 public:
  mutex_guard(mutex_guard&& o) noexcept : m_(std::exchange(o.m_, nullptr)) {}
  mutex_guard& operator=(mutex_guard&& o) noexcept {
    if (this != &o) {
      unlock();
      m_ = std::exchange(o.m_, nullptr);
    }
    return *this;
  }
  ~mutex_guard() { unlock(); }

  /// Unlocks now (the guard then owns nothing).
  inline void unlock() noexcept;
  [[nodiscard]] bool owns_lock() const noexcept { return m_ != nullptr; }
  [[nodiscard]] mutex* get() const noexcept { return m_; }

 private:
  friend class mutex;
  explicit mutex_guard(mutex* m) noexcept : m_(m) {}
  mutex* m_;
};

class mutex {
 public:
  /// The future of lock(): yields the guard.
  class [[nodiscard]] lock_future {
   public:
    explicit lock_future(mutex* m) noexcept : m_(m), acquire_(m->sem_.acquire(1)) {}
    polled<mutex_guard> poll(context& cx) {
      if (acquire_.poll(cx).is_pending()) return pending;
      return mutex_guard(m_);
    }

   private:
    mutex* m_;
    semaphore::acquire_future acquire_;
  };

  mutex() noexcept = default;
  mutex(const mutex&) = delete;
  mutex& operator=(const mutex&) = delete;

  /// Waits (FIFO) for the lock. The future must not outlive the mutex.
  lock_future lock() noexcept { return lock_future(this); }
  /// The lock if it is free and nobody waits for it.
  [[nodiscard]] std::optional<mutex_guard> try_lock() noexcept {
    if (!sem_.try_acquire(1)) return std::nullopt;
    return mutex_guard(this);
  }
  [[nodiscard]] bool is_locked() const noexcept { return sem_.available() == 0; }

 private:
  friend class mutex_guard;
  semaphore sem_{1};
};

inline void mutex_guard::unlock() noexcept {
  if (m_) std::exchange(m_, nullptr)->sem_.release(1);
}

}  // namespace eddy::sync
