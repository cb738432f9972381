#include <eddy/waker.hpp>

#include <gtest/gtest.h>

#include <utility>

#include "test_futures.hpp"

namespace eddy {
namespace {

TEST(Waker, CloneAndDropCountsBalance) {
  test::counting_waker cw;
  {
    waker a = cw.make();
    waker b = a;             // clone
    waker c = std::move(b);  // move: no clone, no drop
    waker d;
    d = c;  // will_wake(c) is false for an empty waker: clone
    EXPECT_TRUE(d.will_wake(a));
    d = a;  // same task: will_wake skips the clone
    EXPECT_EQ(cw.clones, 3);
    EXPECT_TRUE(b.empty());
  }
  EXPECT_EQ(cw.clones, 3);
  EXPECT_EQ(cw.drops, 3);
  EXPECT_EQ(cw.live(), 0);
}

TEST(Waker, WakeConsumesAndWakeByRefKeeps) {
  test::counting_waker cw;
  waker a = cw.make();
  a.wake_by_ref();
  EXPECT_EQ(cw.wakes, 1);
  EXPECT_EQ(cw.drops, 0);
  std::move(a).wake();
  EXPECT_EQ(cw.wakes, 2);
  EXPECT_EQ(cw.drops, 1);
  EXPECT_TRUE(a.empty());
  std::move(a).wake();  // empty: nothing
  EXPECT_EQ(cw.wakes, 2);
}

TEST(Waker, EmptyAndNoopWakersDoNothing) {
  waker e;
  e.wake_by_ref();
  waker n = noop_waker();
  waker n2 = n;
  n2.wake_by_ref();
  std::move(n2).wake();
  EXPECT_TRUE(n.will_wake(noop_waker()));
  EXPECT_FALSE(n.will_wake(e));
}

}  // namespace
}  // namespace eddy
