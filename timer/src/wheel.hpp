// wheel.hpp: a hierarchical timer wheel, the data structure behind every sleep.
//
// Six levels of 64 slots. A slot of level L spans 64^L ticks (1 tick = 1 ms), so
// level 0 holds the next 64 ms tick by tick, level 1 the next 4 s in 64 ms slots,
// ... and level 5 about 2.2 years in 12.7-day slots. An entry sits on the lowest
// level whose slot still separates its deadline from `elapsed`; when time reaches
// a slot of level L > 0, its entries cascade to lower levels (or expire). Insert
// and remove are O(1); one 64-bit occupancy mask per level finds the next slot to
// process with a rotate and a count of trailing zeros, never a scan of slots.
//
// The wheel is a plain data structure: no clock, no lock, no wakers woken. The
// time_driver reads the clock, guards the wheel with its mutex, and wakes.
//
// Invariants (checked by the reference-model test, tests/timer/wheel_model_test.cpp):
//   1. An entry on level L >= 0 has a deadline > elapsed_ that agrees with elapsed_
//      on every bit above 6(L+1), and its slot index at level L is greater than
//      elapsed_'s: it lies ahead in the current level-L "lap". The one exception is
//      an entry beyond the wheel's range (deadline - elapsed_ >= 64^6): it sits on
//      level 5 in the slot of its deadline's bits 30..35, and is re-filed each time
//      that slot comes round until its deadline is in range ("clamping" by laps).
//   2. So the lowest non-empty level holds the earliest slot, and a slot's start
//      is never later than the deadlines of its entries: next_expiration() never
//      overshoots a deadline.
//   3. Entries whose deadline is <= elapsed_ when inserted wait on pending_ and
//      expire at the next advance(), whatever its argument.
//   4. elapsed_ only grows.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ratio>
#include <type_traits>

#include <eddy/timer/clock.hpp>
#include <eddy/timer/detail/timer_entry.hpp>

namespace eddy::timer::detail {

static_assert(std::is_same_v<clock::duration::period, std::nano>, "timer_entry::when is in ns");

/// Nanoseconds per wheel tick (1 ms).
inline constexpr std::int64_t ns_per_tick = 1'000'000;

/// Ticks from `origin_ns` to `t_ns` (both ns since the clock's epoch); 0 when
/// t_ns <= origin_ns. Rounded up for a deadline (a timer never fires early),
/// down for the current time.
[[nodiscard]] inline std::uint64_t ticks_between(std::int64_t origin_ns, std::int64_t t_ns,
                                                 bool round_up) noexcept {
  if (t_ns <= origin_ns) return 0;
  auto since = static_cast<std::uint64_t>(t_ns) - static_cast<std::uint64_t>(origin_ns);
  constexpr auto per = static_cast<std::uint64_t>(ns_per_tick);
  return since / per + (round_up && since % per != 0 ? 1 : 0);
}

class wheel {
 public:
  static constexpr unsigned levels = 6;
  static constexpr unsigned slot_bits = 6;
  static constexpr unsigned slots_per_level = 1u << slot_bits;
  /// Ticks the wheel can tell apart from now: 64^6 ms, about 795 days.
  static constexpr std::uint64_t range = std::uint64_t{1} << (slot_bits * levels);
  /// timer_entry::level of an entry on pending_ (invariant 3).
  static constexpr std::uint8_t pending_level = levels;
  /// timer_entry::level of an entry advance() moved out to the caller's list.
  static constexpr std::uint8_t detached_level = 0xff;

  /// Tick 0 is `origin_ns` on the clock (entries' `when` are ns since its epoch).
  explicit wheel(std::uint64_t start_tick = 0, std::int64_t origin_ns = 0) noexcept
      : elapsed_(start_tick), origin_ns_(origin_ns) {}
  wheel(const wheel&) = delete;
  wheel& operator=(const wheel&) = delete;
  /// Precondition: empty() (the owner unlinks and handles its entries first).
  ~wheel();

  /// The tick the wheel has advanced to.
  [[nodiscard]] std::uint64_t elapsed() const noexcept { return elapsed_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  /// The tick at which `e` is due: its `when` rounded up to a whole tick.
  [[nodiscard]] std::uint64_t tick_of(const timer_entry& e) const noexcept {
    return ticks_between(origin_ns_, e.when, true);
  }

  /// Files `e` by tick_of(e). Precondition: `e` is not linked anywhere.
  void insert(timer_entry& e) noexcept { insert(e, tick_of(e)); }
  /// The same, for a caller that already has `tick` == tick_of(e).
  void insert(timer_entry& e, std::uint64_t tick) noexcept;
  /// Unlinks `e`. Precondition: `e` is in this wheel (level != detached_level).
  void remove(timer_entry& e) noexcept;

  /// The earliest tick at which advance() has work to do (an expiry or a cascade),
  /// or nullopt when the wheel is empty. Never later than the earliest deadline;
  /// elapsed() when an entry is pending.
  [[nodiscard]] std::optional<std::uint64_t> next_expiration() const noexcept;

  /// Puts `fresh` where `old` is (same deadline, same list position) and unlinks
  /// `old`: a registered sleep future being moved. Precondition: `old` is in this
  /// wheel, `fresh` is linked nowhere.
  void replace(timer_entry& old, timer_entry& fresh) noexcept;

  /// Moves time to `now` (no-op for now < elapsed()) and appends every entry whose
  /// deadline is <= now to `expired`, marked detached_level. The caller wakes them,
  /// after releasing its lock.
  void advance(std::uint64_t now, entry_list& expired) noexcept;

  /// Appends every entry to `out` (detached), leaving the wheel empty: shutdown.
  void drain(entry_list& out) noexcept;

 private:
  struct slot_ref {
    std::uint64_t start;  // tick at which the slot is processed
    unsigned level;
    unsigned slot;
  };

  [[nodiscard]] std::optional<slot_ref> next_slot() const noexcept;
  void file(timer_entry& e, std::uint64_t tick) noexcept;  // insert, no size bookkeeping

  std::uint64_t elapsed_;
  std::int64_t origin_ns_;
  std::size_t size_ = 0;
  std::array<std::uint64_t, levels> occupied_{};
  std::array<std::array<entry_list, slots_per_level>, levels> slots_;
  entry_list pending_;
};

}  // namespace eddy::timer::detail
