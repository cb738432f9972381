// wheel_test.cpp: unit tests of the hierarchical timer wheel (timer/src/wheel.hpp).
#include "timer/src/wheel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <vector>

namespace eddy::timer::detail {
namespace {

// Entries carry their deadline in clock nanoseconds; these tests think in ticks,
// with the wheel's origin at 0, where tick t is when = t * ns_per_tick.
void set_tick(timer_entry& e, std::uint64_t tick) {
  e.when = static_cast<std::int64_t>(tick) * ns_per_tick;
}
std::uint64_t tick(const timer_entry& e) {
  return static_cast<std::uint64_t>(e.when / ns_per_tick);
}

constexpr std::uint64_t lap1 = 64;         // level 0 span
constexpr std::uint64_t lap2 = 64 * 64;    // level 1 span
constexpr std::uint64_t day = 86'400'000;  // ticks (ms)

std::vector<timer_entry*> advance(wheel& w, std::uint64_t now) {
  entry_list out;
  w.advance(now, out);
  std::vector<timer_entry*> v;
  while (!out.empty()) {
    v.push_back(&out.front());
    out.pop_front();
  }
  return v;
}

TEST(Wheel, EmptyHasNoExpiration) {
  wheel w;
  EXPECT_TRUE(w.empty());
  EXPECT_FALSE(w.next_expiration().has_value());
  EXPECT_TRUE(advance(w, 1000).empty());
  EXPECT_EQ(w.elapsed(), 1000u);
}

TEST(Wheel, TicksAreTheDeadlineRoundedUpFromTheOrigin) {
  // The wheel derives ticks from `when` (ns): a deadline 1 ns into tick 7 is due
  // at tick 8, never early; one on a tick boundary is due at that tick; one at or
  // before the origin is due at once.
  constexpr std::int64_t origin = 5'000'000'123;
  wheel w(0, origin);
  timer_entry late, exact, before;
  late.when = origin + 7 * ns_per_tick + 1;
  exact.when = origin + 9 * ns_per_tick;
  before.when = origin - 1;
  EXPECT_EQ(w.tick_of(late), 8u);
  EXPECT_EQ(w.tick_of(exact), 9u);
  EXPECT_EQ(w.tick_of(before), 0u);
  w.insert(late);
  w.insert(exact);
  EXPECT_TRUE(advance(w, 7).empty());
  auto fired = advance(w, 8);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0], &late);
  fired = advance(w, 9);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0], &exact);
  EXPECT_TRUE(w.empty());
}

TEST(Wheel, Level0EntryExpiresExactlyAtItsDeadline) {
  wheel w;
  timer_entry e;
  set_tick(e, 10);
  w.insert(e);
  EXPECT_EQ(w.size(), 1u);
  EXPECT_EQ(e.level, 0);
  EXPECT_EQ(w.next_expiration(), 10u);
  EXPECT_TRUE(advance(w, 9).empty());
  auto fired = advance(w, 10);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0], &e);
  EXPECT_EQ(e.level, wheel::detached_level);
  EXPECT_TRUE(w.empty());
}

TEST(Wheel, HigherLevelCascadesThenExpiresExactly) {
  wheel w;
  timer_entry e;
  set_tick(e, 3 * lap2 + 5 * lap1 + 7);  // level 2
  w.insert(e);
  EXPECT_EQ(e.level, 2);
  // The next work is the start of e's level-2 slot: never later than its deadline.
  ASSERT_EQ(w.next_expiration(), 3 * lap2);
  EXPECT_TRUE(advance(w, 3 * lap2).empty());
  EXPECT_EQ(e.level, 1);
  EXPECT_EQ(w.next_expiration(), 3 * lap2 + 5 * lap1);
  EXPECT_TRUE(advance(w, 3 * lap2 + 5 * lap1).empty());
  EXPECT_EQ(e.level, 0);
  EXPECT_EQ(w.next_expiration(), tick(e));
  EXPECT_TRUE(advance(w, tick(e) - 1).empty());
  EXPECT_EQ(advance(w, tick(e)).size(), 1u);
}

TEST(Wheel, JumpPastSeveralLevelsExpiresAtOnce) {
  wheel w;
  std::array<timer_entry, 3> es;
  set_tick(es[0], 5);
  set_tick(es[1], 2 * lap2 + 1);
  set_tick(es[2], 3 * day);
  for (auto& e : es) w.insert(e);
  EXPECT_EQ(advance(w, 3 * day).size(), 3u);
  EXPECT_TRUE(w.empty());
  EXPECT_FALSE(w.next_expiration().has_value());
}

TEST(Wheel, DeadlineNotAfterNowExpiresOnNextAdvance) {
  wheel w(1000);
  timer_entry past, now;
  set_tick(past, 10);
  set_tick(now, 1000);
  w.insert(past);
  w.insert(now);
  EXPECT_EQ(past.level, wheel::pending_level);
  EXPECT_EQ(w.next_expiration(), 1000u);
  // Even an advance that does not move time delivers them.
  EXPECT_EQ(advance(w, 1000).size(), 2u);
  EXPECT_TRUE(w.empty());
}

TEST(Wheel, RemoveClearsTheSlotOnlyWhenItEmpties) {
  wheel w;
  timer_entry a, b, c;
  set_tick(a, 20);
  set_tick(b, 20);
  set_tick(c, 30);
  w.insert(a);
  w.insert(b);
  w.insert(c);
  w.remove(a);
  EXPECT_EQ(w.next_expiration(), 20u);
  w.remove(b);
  EXPECT_EQ(w.next_expiration(), 30u);
  w.remove(c);
  EXPECT_FALSE(w.next_expiration().has_value());
  EXPECT_TRUE(w.empty());
  EXPECT_FALSE(a.is_linked() || b.is_linked() || c.is_linked());
}

TEST(Wheel, RemovePendingEntry) {
  wheel w(50);
  timer_entry e;
  set_tick(e, 50);
  w.insert(e);
  w.remove(e);
  EXPECT_TRUE(w.empty());
  EXPECT_TRUE(advance(w, 60).empty());
}

TEST(Wheel, ReplaceTakesOverTheSlot) {
  wheel w;
  timer_entry a, b;
  set_tick(a, 4000);
  w.insert(a);
  w.replace(a, b);
  EXPECT_FALSE(a.is_linked());
  EXPECT_EQ(tick(b), 4000u);
  EXPECT_EQ(w.size(), 1u);
  auto fired = advance(w, 4000);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0], &b);
}

TEST(Wheel, NextExpirationPicksLowestLevelFirst) {
  wheel w(10);
  timer_entry near, far;
  set_tick(far, 10 + 5 * lap2);
  set_tick(near, 60);
  w.insert(far);
  w.insert(near);
  EXPECT_EQ(w.next_expiration(), 60u);
  w.remove(near);
  w.remove(far);
}

TEST(Wheel, LevelWrapAtSlot63) {
  // elapsed at the last slot of a level-0 lap; the deadline is in the next lap.
  wheel w(63);
  timer_entry e;
  set_tick(e, 65);
  w.insert(e);
  EXPECT_EQ(e.level, 1);
  EXPECT_EQ(w.next_expiration(), 64u);
  EXPECT_TRUE(advance(w, 64).empty());
  EXPECT_EQ(advance(w, 65).size(), 1u);
}

TEST(Wheel, CrossingTheTopLapBoundary) {
  // The deadline is close but across a 64^6 boundary: filed as out of range,
  // still expires exactly on time.
  wheel w(wheel::range - 10);
  timer_entry e;
  set_tick(e, wheel::range + 5);
  w.insert(e);
  auto next = w.next_expiration();
  ASSERT_TRUE(next.has_value());
  EXPECT_LE(*next, tick(e));
  EXPECT_TRUE(advance(w, wheel::range + 4).empty());
  EXPECT_EQ(advance(w, wheel::range + 5).size(), 1u);
}

TEST(Wheel, BeyondRangeNeverFiresEarly) {
  // Three ranges ahead (about 6.5 years): re-filed each lap, fired on time.
  wheel w;
  timer_entry e;
  set_tick(e, 3 * wheel::range + 12345);
  w.insert(e);
  std::uint64_t now = 0;
  int steps = 0;
  while (auto next = w.next_expiration()) {
    ASSERT_LE(*next, tick(e));
    ASSERT_GT(*next, now);
    now = *next;
    auto fired = advance(w, now);
    ASSERT_LT(++steps, 1000);
    if (!fired.empty()) break;
  }
  EXPECT_EQ(now, tick(e));
  EXPECT_TRUE(w.empty());
}

TEST(Wheel, HugeDeadlineDoesNotFireWithinYears) {
  wheel w;
  timer_entry e;
  e.when = std::numeric_limits<std::int64_t>::max();  // tick about 2^43
  w.insert(e);
  for (std::uint64_t now = day; now < 20 * wheel::range; now += 97 * day) {
    ASSERT_TRUE(advance(w, now).empty());
  }
  w.remove(e);
}

TEST(Wheel, ManyEntriesInOneSlot) {
  wheel w;
  std::vector<timer_entry> es(500);
  for (auto& e : es) {
    set_tick(e, 777);
    w.insert(e);
  }
  EXPECT_EQ(w.size(), 500u);
  EXPECT_TRUE(advance(w, 776).empty());
  EXPECT_EQ(advance(w, 777).size(), 500u);
}

TEST(Wheel, DrainEmptiesEverything) {
  wheel w(5);
  std::array<timer_entry, 3> es;
  set_tick(es[0], 1);
  set_tick(es[1], 100);
  set_tick(es[2], 10 * day);
  for (auto& e : es) w.insert(e);
  entry_list out;
  w.drain(out);
  EXPECT_TRUE(w.empty());
  EXPECT_FALSE(w.next_expiration().has_value());
  EXPECT_EQ(out.size(), 3u);
  out.clear();
}

}  // namespace
}  // namespace eddy::timer::detail
