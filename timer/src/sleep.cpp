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

clock::time_point recent_now() noexcept {
  if (auto* drv = current_time_driver()) return drv->recent_now();
  return std::chrono::steady_clock::now();
}

}  // namespace timer

static_assert(sizeof(sleep_future) == sizeof(timer::detail::timer_entry));

// `when` and `driver_id` are the future's own (the driver only reads `when`).
sleep_future::sleep_future(sleep_future&& other) noexcept
    : entry_(other.entry_.when, other.entry_.driver_id) {
  auto state = other.entry_.state.load(std::memory_order_acquire);
  if (state == entry_state::registered) {
    timer::time_driver::from_id(entry_.driver_id)->move_entry(other.entry_, entry_);
  } else {
    entry_.state.store(state, std::memory_order_relaxed);
  }
}

sleep_future::~sleep_future() {
  // Only a registered entry involves the driver; fired and shutdown ones were
  // released by it (time_driver invariant 3).
  if (entry_.state.load(std::memory_order_acquire) == entry_state::registered) {
    timer::time_driver::from_id(entry_.driver_id)->cancel(entry_);
  }
}

polled<void> sleep_future::poll(context& cx) {
  auto state = entry_.state.load(std::memory_order_acquire);
  if (state == entry_state::fired || state == entry_state::shutdown) return ready();
  timer::time_driver* driver = nullptr;
  if (entry_.driver_id != 0) {
    driver = timer::time_driver::from_id(entry_.driver_id);
  } else {
    driver = current_time_driver();
    if (driver == nullptr) {
      std::fputs(
          "eddy: a sleep_future was polled on a thread that runs no eddy runtime with a "
          "timer driver; run it with block_on/spawn\n",
          stderr);
      std::abort();
    }
    entry_.driver_id = driver->id_;
  }
  return driver->poll_entry(entry_, deadline(), cx.waker());
}

bool sleep_future::is_elapsed() const noexcept {
  auto state = entry_.state.load(std::memory_order_acquire);
  return state == entry_state::fired || state == entry_state::shutdown;
}

bool sleep_future::is_registered() const noexcept {
  return entry_.state.load(std::memory_order_acquire) == entry_state::registered;
}

std::error_code sleep_future::error() const noexcept {
  if (entry_.state.load(std::memory_order_acquire) == entry_state::shutdown) {
    return make_error_code(errc::runtime_shutdown);
  }
  return {};
}

void sleep_future::reset(time_point deadline) noexcept {
  if (entry_.state.load(std::memory_order_acquire) == entry_state::registered) {
    timer::time_driver::from_id(entry_.driver_id)->cancel(entry_);
  }
  entry_.state.store(entry_state::idle, std::memory_order_relaxed);
  entry_.when = deadline.time_since_epoch().count();
  entry_.driver_id = 0;
}

}  // namespace eddy
