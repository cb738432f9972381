// current.hpp: what the running thread is doing for eddy: the executor it polls
// tasks for and the driver (reactor, timers) of that runtime. Set by the executor
// while it runs; read by leaf futures (sleep, sockets) to find their driver.
#pragma once

#include <eddy/driver.hpp>

namespace eddy::detail {

class scheduler;

struct thread_context {
  scheduler* executor = nullptr;
  driver* drv = nullptr;
};

inline thread_local thread_context tls_context;

/// The driver of the runtime running on this thread, or nullptr.
inline driver* current_driver() noexcept { return tls_context.drv; }

/// The service `which` of the current driver, or nullptr outside a runtime.
inline void* current_service(driver_service which) noexcept {
  driver* d = tls_context.drv;
  return d ? d->service(which) : nullptr;
}

/// Installs a thread context for a scope and restores the previous one after
/// (block_on inside block_on on another runtime nests correctly).
class context_guard {
 public:
  context_guard(scheduler* ex, driver* drv) noexcept : saved_(tls_context) {
    tls_context = {ex, drv};
  }
  ~context_guard() { tls_context = saved_; }
  context_guard(const context_guard&) = delete;
  context_guard& operator=(const context_guard&) = delete;

 private:
  thread_context saved_;
};

}  // namespace eddy::detail
