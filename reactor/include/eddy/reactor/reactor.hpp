// reactor.hpp: the I/O driver. It owns the OS readiness queue (epoll on Linux; the
// backend is chosen at build time and never shows in this header), the slab of
// per-fd registrations, and the wakers of the tasks waiting on them.
//
// Two ways to drive it:
//   * inline: a current-thread executor calls park(timeout) (or turn()) when it
//     has nothing to run; the reactor waits for events, wakes their tasks and
//     returns;
//   * on a dedicated thread: run() turns until stop(), waking tasks that other
//     threads run (the multi-thread runtime's shape).
// Either way a blocked wait is interrupted from any thread by unpark().
//
// Thread safety: park(), turn() and run() are called by one thread at a time (the
// driving thread). unpark(), stop(), registration_count() and everything an
// io_registration does are safe from any thread. Destroy the reactor only after
// every registration made with it is gone.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>

#include <eddy/driver.hpp>
#include <eddy/reactor/registration.hpp>

namespace eddy {

/// How long an accept that ran out of descriptors waits before it retries, unless
/// a registration is dropped first.
inline constexpr std::chrono::milliseconds descriptor_backoff{100};

class reactor final : public driver {
 public:
  /// Throws std::system_error if the OS queue or the wake-up fd cannot be made.
  reactor();
  ~reactor() override;

  /// One turn: waits up to `timeout` (nullopt: until an event or unpark(); the
  /// wait is rounded up to the backend's resolution, never down to a spin),
  /// dispatches the events and wakes their tasks after the whole batch.
  void park(std::optional<std::chrono::nanoseconds> timeout) override;
  /// Interrupts a concurrent (or the next) wait. Any thread; cheap when repeated.
  void unpark() noexcept override;
  /// driver_service::io: this reactor (an `eddy::reactor*`).
  [[nodiscard]] void* service(driver_service which) noexcept override;

  /// park() that reports how many I/O events it dispatched.
  std::size_t turn(std::optional<std::chrono::nanoseconds> timeout);

  /// Turns until stop() is called (from any thread, before or during run()).
  void run();
  /// Makes run() return; it stays stopped until restart().
  void stop() noexcept;
  /// Clears a stop() so run() can be called again.
  void restart() noexcept;

  /// Live registrations: zero after a clean teardown.
  [[nodiscard]] std::size_t registration_count() const noexcept;

  /// The reactor of the runtime running on this thread, or nullptr.
  [[nodiscard]] static reactor* current() noexcept;

  [[nodiscard]] detail::reactor_impl& impl() noexcept { return *impl_; }

 private:
  std::unique_ptr<detail::reactor_impl> impl_;
};

}  // namespace eddy
