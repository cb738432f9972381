// wheel_test.cpp: unit tests of the hierarchical timer wheel (timer/src/wheel.hpp).
#include "timer/src/wheel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace eddy::timer::detail {
namespace {

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

TEST(Wheel, Level0EntryExpiresExactlyAtItsDeadline) {
  wheel w;
  timer_entry e;
  e.deadline = 10;
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
  e.deadline = 3 * lap2 + 5 * lap1 + 7;  // level 2
  w.insert(e);
  EXPECT_EQ(e.level, 2);
  // The next work is the start of e's level-2 slot: never later than its deadline.
  ASSERT_EQ(w.next_expiration(), 3 * lap2);
  EXPECT_TRUE(advance(w, 3 * lap2).empty());
  EXPECT_EQ(e.level, 1);
  EXPECT_EQ(w.next_expiration(), 3 * lap2 + 5 * lap1);
  EXPECT_TRUE(advance(w, 3 * lap2 + 5 * lap1).empty());
  EXPECT_EQ(e.level, 0);
  EXPECT_EQ(w.next_expiration(), e.deadline);
  EXPECT_TRUE(advance(w, e.deadline - 1).empty());
  EXPECT_EQ(advance(w, e.deadline).size(), 1u);
}

TEST(Wheel, JumpPastSeveralLevelsExpiresAtOnce) {
  wheel w;
  std::array<timer_entry, 3> es;
  es[0].deadline = 5;
  es[1].deadline = 2 * lap2 + 1;
  es[2].deadline = 3 * day;
  for (auto& e : es) w.insert(e);
  EXPECT_EQ(advance(w, 3 * day).size(), 3u);
  EXPECT_TRUE(w.empty());
  EXPECT_FALSE(w.next_expiration().has_value());
}

TEST(Wheel, DeadlineNotAfterNowExpiresOnNextAdvance) {
  wheel w(1000);
  timer_entry past, now;
  past.deadline = 10;
  now.deadline = 1000;
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
  a.deadline = b.deadline = 20;
  c.deadline = 30;
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
  e.deadline = 50;
  w.insert(e);
  w.remove(e);
  EXPECT_TRUE(w.empty());
  EXPECT_TRUE(advance(w, 60).empty());
}

TEST(Wheel, ReplaceTakesOverTheSlot) {
  wheel w;
  timer_entry a, b;
  a.deadline = 4000;
  w.insert(a);
  w.replace(a, b);
  EXPECT_FALSE(a.is_linked());
  EXPECT_EQ(b.deadline, 4000u);
  EXPECT_EQ(w.size(), 1u);
  auto fired = advance(w, 4000);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0], &b);
}

TEST(Wheel, NextExpirationPicksLowestLevelFirst) {
  wheel w(10);
  timer_entry near, far;
  far.deadline = 10 + 5 * lap2;
  near.deadline = 60;
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
  e.deadline = 65;
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
  e.deadline = wheel::range + 5;
  w.insert(e);
  auto next = w.next_expiration();
  ASSERT_TRUE(next.has_value());
  EXPECT_LE(*next, e.deadline);
  EXPECT_TRUE(advance(w, wheel::range + 4).empty());
  EXPECT_EQ(advance(w, wheel::range + 5).size(), 1u);
}

TEST(Wheel, BeyondRangeNeverFiresEarly) {
  // Three ranges ahead (about 6.5 years): re-filed each lap, fired on time.
  wheel w;
  timer_entry e;
  e.deadline = 3 * wheel::range + 12345;
  w.insert(e);
  std::uint64_t now = 0;
  int steps = 0;
  while (auto next = w.next_expiration()) {
    ASSERT_LE(*next, e.deadline);
    ASSERT_GT(*next, now);
    now = *next;
    auto fired = advance(w, now);
    ASSERT_LT(++steps, 1000);
    if (!fired.empty()) break;
  }
  EXPECT_EQ(now, e.deadline);
  EXPECT_TRUE(w.empty());
}

TEST(Wheel, HugeDeadlineDoesNotFireWithinYears) {
  wheel w;
  timer_entry e;
  e.deadline = std::uint64_t{1} << 62;
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
    e.deadline = 777;
    w.insert(e);
  }
  EXPECT_EQ(w.size(), 500u);
  EXPECT_TRUE(advance(w, 776).empty());
  EXPECT_EQ(advance(w, 777).size(), 500u);
}

TEST(Wheel, DrainEmptiesEverything) {
  wheel w(5);
  std::array<timer_entry, 3> es;
  es[0].deadline = 1;
  es[1].deadline = 100;
  es[2].deadline = 10 * day;
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
