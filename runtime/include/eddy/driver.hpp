// driver.hpp: what an executor parks on when it has nothing to run. The reactor
// (epoll/kqueue plus the timer wheel) is the library's driver; the runtime only
// knows this interface, so runtime/ never includes the modules built on it.
#pragma once

#include <chrono>
#include <memory>
#include <optional>

namespace eddy {

/// Services a driver may provide to the futures of the tasks it drives.
enum class driver_service { timer, io };

class driver {
 public:
  driver() = default;
  driver(const driver&) = delete;
  driver& operator=(const driver&) = delete;
  virtual ~driver() = default;

  /// Processes ready I/O and expired timers, waking their tasks. Blocks at most
  /// `timeout` (nullopt: until woken; zero: does not block) or until unpark().
  /// Called only by the thread that owns the driver.
  virtual void park(std::optional<std::chrono::nanoseconds> timeout) = 0;

  /// Makes a concurrent or the next park() return promptly. Any thread.
  virtual void unpark() noexcept = 0;

  /// The service object of `which` (a timer queue, an I/O reactor) or nullptr.
  [[nodiscard]] virtual void* service(driver_service which) noexcept {
    (void)which;
    return nullptr;
  }
};

/// The library's default driver: the reactor with its timer wheel.
std::unique_ptr<driver> make_default_driver();

}  // namespace eddy
