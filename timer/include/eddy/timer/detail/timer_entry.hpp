// timer_entry.hpp: the node a timer wheel links. It lives inside the future that
// waits (a sleep_future), so registering a timer allocates nothing: the wheel's
// slots are Boost.Intrusive lists threaded through these entries.
//
// Installed because sleep_future embeds it; it is not an API. The wheel
// (timer/src/wheel.hpp) owns `level`/`slot` and the hook; the time_driver owns
// `state` and `waker`.
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
  timer_entry(const timer_entry&) = delete;
  timer_entry& operator=(const timer_entry&) = delete;

  /// Deadline in wheel ticks (1 ms); rounded up so a timer never fires early.
  std::uint64_t deadline = 0;
  /// The waker to wake when the deadline passes.
  eddy::waker waker;
  /// Wheel level (0..5), `pending_level`, or `detached_level`; set by the wheel.
  std::uint8_t level = 0;
  /// Slot within `level`; set by the wheel.
  std::uint8_t slot = 0;
  std::atomic<entry_state> state{entry_state::idle};
};

using entry_list = boost::intrusive::list<timer_entry, boost::intrusive::constant_time_size<false>>;

}  // namespace eddy::timer::detail
