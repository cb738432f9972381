#include <eddy/timer/sleep.hpp>

#include <cstdio>
#include <cstdlib>

#include <eddy/error.hpp>
#include <eddy/timer/time_driver.hpp>

#include "runtime/src/current.hpp"

namespace eddy {
namespace {

using timer::detail::entry_state;

timer::time_driver* current_time_driver() noexcept {
  return static_cast<timer::time_driver*>(eddy::detail::current_service(driver_service::timer));
}

}  // namespace

namespace timer {

clock::time_point now() noexcept {
  if (auto* drv = current_time_driver()) return drv->now();
  return std::chrono::steady_clock::now();
}

}  // namespace timer

sleep_future::sleep_future(sleep_future&& other) noexcept
    : deadline_(other.deadline_), driver_(other.driver_) {
  auto state = other.entry_.state.load(std::memory_order_acquire);
  if (state == entry_state::registered) {
    driver_->move_entry(other.entry_, entry_);
  } else {
    entry_.state.store(state, std::memory_order_relaxed);
  }
}

sleep_future::~sleep_future() {
  // Only a registered entry involves the driver; fired and shutdown ones were
  // released by it (time_driver invariant 3).
  if (entry_.state.load(std::memory_order_acquire) == entry_state::registered) {
    driver_->cancel(entry_);
  }
}

polled<void> sleep_future::poll(context& cx) {
  auto state = entry_.state.load(std::memory_order_acquire);
  if (state == entry_state::fired || state == entry_state::shutdown) return ready();
  if (driver_ == nullptr) {
    driver_ = current_time_driver();
    if (driver_ == nullptr) {
      std::fputs(
          "eddy: a sleep_future was polled on a thread that runs no eddy runtime with a "
          "timer driver; run it with block_on/spawn\n",
          stderr);
      std::abort();
    }
  }
  return driver_->poll_entry(entry_, deadline_, cx.waker());
}

bool sleep_future::is_elapsed() const noexcept {
  auto state = entry_.state.load(std::memory_order_acquire);
  return state == entry_state::fired || state == entry_state::shutdown;
}

std::error_code sleep_future::error() const noexcept {
  if (entry_.state.load(std::memory_order_acquire) == entry_state::shutdown) {
    return make_error_code(errc::runtime_shutdown);
  }
  return {};
}

void sleep_future::reset(time_point deadline) noexcept {
  if (entry_.state.load(std::memory_order_acquire) == entry_state::registered) {
    driver_->cancel(entry_);
  }
  entry_.state.store(entry_state::idle, std::memory_order_relaxed);
  deadline_ = deadline;
  driver_ = nullptr;
}

}  // namespace eddy
