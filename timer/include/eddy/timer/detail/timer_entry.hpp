// timer_entry.hpp: the node a timer wheel links. It lives inside the future that
// waits (a sleep_future), so registering a timer allocates nothing: the wheel's
// slots are Boost.Intrusive lists threaded through these entries.
//
// Installed because sleep_future embeds it; it is not an API. The wheel
// (timer/src/wheel.hpp) owns `level`/`slot` and the hook; the time_driver owns
// `state` and `waker`; the future owns `when` and `driver_id` (the driver only
// reads `when`, under its lock, while the entry is registered).
//
// 48 bytes, so a sleeping task's coroutine frame stays small: the precise
// deadline is kept once (the wheel derives its ticks from it), and the driver is
// named by a 32-bit id that fits where a pointer would not.
#pragma once

#include <atomic>
#include <cstdint>

#include <boost/intrusive/list.hpp>

#include <eddy/waker.hpp>

namespace eddy::timer::detail {

/// Where a time_driver stands with an entry. Stored in an atomic so a future can
/// see `fired` without taking the driver's lock (release by the driver after its
/// last touch of the entry, acquire by the future).
enum class entry_state : std::uint8_t {
  idle,        ///< not registered with any driver
  registered,  ///< linked into a wheel slot or the driver's fired list
  fired,       ///< deadline reached; unlinked, waker taken
  shutdown,    ///< the driver was destroyed while the entry was registered
};

struct timer_entry
    : boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::safe_link>> {
  timer_entry() = default;
  explicit timer_entry(std::int64_t when_ns, std::uint32_t driver = 0) noexcept
      : when(when_ns), driver_id(driver) {}
  timer_entry(const timer_entry&) = delete;
  timer_entry& operator=(const timer_entry&) = delete;

  /// The deadline on the runtime's clock, in nanoseconds since the clock's epoch
  /// (clock::time_point::time_since_epoch().count()). The wheel works in 1 ms
  /// ticks, rounded up from this, so a timer never fires early.
  std::int64_t when = 0;
  /// The waker to wake when the deadline passes.
  eddy::waker waker;
  /// Wheel level (0..5), `pending_level`, or `detached_level`; set by the wheel.
  std::uint8_t level = 0;
  /// Slot within `level`; set by the wheel.
  std::uint8_t slot = 0;
  std::atomic<entry_state> state{entry_state::idle};
  /// The time_driver this entry was registered with (time_driver::from_id), 0
  /// before the first registration; set and read by the owning future only.
  std::uint32_t driver_id = 0;
};

static_assert(sizeof(timer_entry) <= 48, "a timer entry fits in 48 bytes (see the header note)");

using entry_list = boost::intrusive::list<timer_entry, boost::intrusive::constant_time_size<false>>;

}  // namespace eddy::timer::detail
