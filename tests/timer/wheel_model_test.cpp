// wheel_model_test.cpp: the timer wheel against a reference model. Random
// insert / cancel / advance sequences (fixed seeds) run on the wheel and on a
// std::multimap of deadlines; every advance must expire exactly the entries the
// model says are due, none early and none lost, and next_expiration() must never
// overshoot the earliest deadline. Deadlines range from "already past" through
// days ahead to beyond the wheel's two-year range.
#include "timer/src/wheel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
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

constexpr std::uint64_t day = 86'400'000;

struct model_run {
  explicit model_run(std::uint64_t seed, std::uint64_t start)
      : rng(seed), w(start), now(start), entries(pool_size) {
    for (std::size_t i = 0; i < pool_size; ++i) free.push_back(i);
  }

  static constexpr std::size_t pool_size = 600;

  std::uint64_t pick(std::uint64_t bound) { return bound == 0 ? 0 : rng() % bound; }

  std::uint64_t random_deadline() {
    auto r = pick(100);
    if (r < 5) return now - std::min(now, pick(100));  // already past
    if (r < 10) return now;
    if (r < 35) return now + 1 + pick(64);
    if (r < 55) return now + 1 + pick(64 * 64);
    if (r < 70) return now + 1 + pick(std::uint64_t{1} << 24);  // hours
    if (r < 92) return now + 1 + pick(7 * day);                 // days
    if (r < 97) return now + 1 + pick(wheel::range);            // up to two years
    return now + wheel::range + pick(3 * wheel::range);         // beyond the range
  }

  std::uint64_t random_step() {
    auto r = pick(100);
    if (r < 30) return pick(4);
    if (r < 60) return pick(200);
    if (r < 80) return pick(64 * 64 * 4);
    if (r < 92) return pick(std::uint64_t{1} << 26);
    if (r < 97) return pick(2 * day);
    return pick(wheel::range);
  }

  void insert() {
    if (free.empty()) return;
    std::size_t id = free.back();
    free.pop_back();
    timer_entry& e = entries[id];
    set_tick(e, random_deadline());
    w.insert(e);
    where[id] = model.emplace(tick(e), id);
  }

  void cancel() {
    if (where.empty()) return;
    auto it = where.begin();
    std::advance(it, static_cast<long>(pick(where.size())));
    std::size_t id = it->first;
    w.remove(entries[id]);
    model.erase(it->second);
    where.erase(it);
    free.push_back(id);
  }

  void advance_to(std::uint64_t target) {
    // next_expiration() is never later than the earliest deadline (nor earlier
    // than elapsed), and is elapsed() itself when something is already due.
    auto next = w.next_expiration();
    ASSERT_EQ(next.has_value(), !model.empty());
    if (next) {
      ASSERT_GE(*next, w.elapsed());
      ASSERT_LE(*next, std::max(model.begin()->first, w.elapsed()));
    }

    entry_list out;
    w.advance(target, out);
    now = std::max(now, target);
    std::vector<std::size_t> got;
    while (!out.empty()) {
      timer_entry& e = out.front();
      out.pop_front();
      got.push_back(static_cast<std::size_t>(&e - entries.data()));
    }
    std::vector<std::size_t> want;
    for (auto it = model.begin(); it != model.end() && it->first <= now;) {
      want.push_back(it->second);
      where.erase(it->second);
      it = model.erase(it);
    }
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    ASSERT_EQ(got, want) << "advance to " << target;
    for (auto id : got) free.push_back(id);
    ASSERT_EQ(w.size(), model.size());
    ASSERT_EQ(w.elapsed(), now);
    expired += got.size();
  }

  void step() {
    auto r = pick(100);
    if (r < 45) {
      insert();
    } else if (r < 60) {
      cancel();
    } else if (r < 70) {
      // Jump exactly to the next point of work, like a driver that slept until it.
      auto next = w.next_expiration();
      advance_to(next ? *next : now + 1);
    } else {
      advance_to(now + random_step());
    }
  }

  void finish() {
    // Run out the clock: everything left must expire at its deadline.
    while (auto next = w.next_expiration()) {
      ASSERT_LE(*next, std::max(model.begin()->first, w.elapsed()));
      advance_to(*next);
      if (::testing::Test::HasFatalFailure()) return;
    }
    ASSERT_TRUE(model.empty());
  }

  std::mt19937_64 rng;
  wheel w;
  std::uint64_t now;
  std::vector<timer_entry> entries;
  std::vector<std::size_t> free;
  std::multimap<std::uint64_t, std::size_t> model;
  std::map<std::size_t, std::multimap<std::uint64_t, std::size_t>::iterator> where;
  std::size_t expired = 0;
};

class WheelModel : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(WheelModel, MatchesMultimapFromZero) {
  model_run run(GetParam(), 0);
  for (int i = 0; i < 6000 && !HasFatalFailure(); ++i) run.step();
  if (HasFatalFailure()) return;
  run.finish();
  EXPECT_GT(run.expired, 500u);  // the sequence really exercised expiry
}

TEST_P(WheelModel, MatchesMultimapNearTheTopLapBoundary) {
  // Starts just before a 64^6 boundary so deadlines straddle it.
  model_run run(GetParam() * 7919, wheel::range - 3 * day);
  for (int i = 0; i < 4000 && !HasFatalFailure(); ++i) run.step();
  if (HasFatalFailure()) return;
  run.finish();
}

INSTANTIATE_TEST_SUITE_P(Seeds, WheelModel, ::testing::Values(1, 2, 3, 42, 1234, 987654321));

}  // namespace
}  // namespace eddy::timer::detail
