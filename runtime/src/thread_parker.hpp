// thread_parker.hpp: the simplest driver: park() waits on a condition variable until
// unpark() or the timeout. It drives no I/O and no timers; the timer and I/O
// drivers wrap or replace it.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>

#include <eddy/driver.hpp>

namespace eddy::detail {

class thread_parker final : public driver {
 public:
  void park(std::optional<std::chrono::nanoseconds> timeout) override {
    std::unique_lock lock(mutex_);
    if (!notified_) {
      if (!timeout) {
        cv_.wait(lock, [&] { return notified_; });
      } else if (timeout->count() > 0) {
        cv_.wait_for(lock, *timeout, [&] { return notified_; });
      }
    }
    notified_ = false;
  }

  void unpark() noexcept override {
    {
      std::lock_guard lock(mutex_);
      notified_ = true;
    }
    cv_.notify_one();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool notified_ = false;
};

}  // namespace eddy::detail
