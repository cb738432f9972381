#include <eddy/sync/watch.hpp>

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <thread>

#include "sync_test_support.hpp"

namespace eddy::sync {
namespace {

using test::probe;

TEST(Watch, ChangedWaitsForANewValueAndSeesOnlyTheLatest) {
  auto [tx, rx] = watch::channel<int>(0);
  EXPECT_EQ(*rx.borrow(), 0);
  EXPECT_FALSE(*rx.has_changed());  // the initial value counts as seen
  probe p;
  {
    auto f = rx.changed();
    EXPECT_TRUE(p.poll(f).is_pending());
    ASSERT_TRUE(tx.send(1).has_value());
    EXPECT_EQ(p.wakes(), 1);
    ASSERT_TRUE(tx.send(2).has_value());
    ASSERT_TRUE(tx.send(3).has_value());
    auto r = p.poll(f);
    ASSERT_TRUE(r.is_ready());
    EXPECT_TRUE(r.value().has_value());
  }
  EXPECT_EQ(*rx.borrow_and_update(), 3);
  auto g = rx.changed();
  EXPECT_TRUE(p.poll(g).is_pending());  // 2 and 3 were one change
}

TEST(Watch, BorrowAndUpdateMarksSeen) {
  auto [tx, rx] = watch::channel<std::string>("a");
  ASSERT_TRUE(tx.send("b").has_value());
  EXPECT_TRUE(rx.borrow().has_changed());
  EXPECT_TRUE(*rx.has_changed());
  {
    auto b = rx.borrow_and_update();
    EXPECT_TRUE(b.has_changed());
    EXPECT_EQ(*b, "b");
  }
  EXPECT_FALSE(*rx.has_changed());
}

TEST(Watch, SenderDropReportsUnseenValueThenClosed) {
  auto [tx, rx] = watch::channel<int>(0);
  probe p;
  auto f = rx.changed();
  EXPECT_TRUE(p.poll(f).is_pending());
  {
    auto gone = std::move(tx);
    ASSERT_TRUE(gone.send(5).has_value());
  }
  auto r = p.poll(f);
  ASSERT_TRUE(r.is_ready());
  EXPECT_TRUE(r.value().has_value());
  EXPECT_EQ(*rx.borrow(), 5);
  auto g = rx.changed();
  auto r2 = p.poll(g);
  ASSERT_TRUE(r2.is_ready());
  EXPECT_EQ(r2.value().error(), errc::closed);
  EXPECT_EQ(rx.has_changed().error(), errc::closed);
}

TEST(Watch, SendWithoutReceiversFailsButSendReplaceStores) {
  auto [tx, rx] = watch::channel<int>(1);
  EXPECT_EQ(tx.receiver_count(), 1u);
  { auto gone = std::move(rx); }
  EXPECT_TRUE(tx.is_closed());
  EXPECT_EQ(tx.send(2).error(), errc::closed);
  EXPECT_EQ(*tx.borrow(), 1);
  EXPECT_EQ(tx.send_replace(3), 1);
  EXPECT_EQ(*tx.borrow(), 3);
  auto rx2 = tx.subscribe();
  EXPECT_EQ(*rx2.borrow(), 3);
  EXPECT_FALSE(*rx2.has_changed());
}

TEST(Watch, EveryReceiverIsWokenAndCancelledWaitersLeaveNoWaker) {
  auto [tx, rx] = watch::channel<int>(0);
  auto rx2 = rx;  // a copy starts from the same seen version
  probe p1, p2, p3;
  auto f1 = rx.changed();
  auto f2 = rx2.changed();
  EXPECT_TRUE(p1.poll(f1).is_pending());
  EXPECT_TRUE(p2.poll(f2).is_pending());
  {
    auto rx3 = tx.subscribe();
    auto f3 = rx3.changed();
    EXPECT_TRUE(p3.poll(f3).is_pending());
  }
  EXPECT_EQ(p3.held(), 0);
  tx.send_modify([](int& v) { v = 42; });
  EXPECT_EQ(p1.wakes(), 1);
  EXPECT_EQ(p2.wakes(), 1);
  EXPECT_EQ(p3.wakes(), 0);
  EXPECT_TRUE(p1.poll(f1).is_ready());
  EXPECT_TRUE(p2.poll(f2).is_ready());
  EXPECT_EQ(p1.held() + p2.held(), 0);
}

TEST(Watch, ValuesFromAnotherThreadAreMonotonicAndEndWithTheLast) {
  constexpr int last = 20000;
  auto [tx, rx] = watch::channel<int>(0);
  std::thread t([tx = std::move(tx)]() mutable {
    for (int i = 1; i <= last; ++i) (void)tx.send_replace(i);
  });
  auto seen = block_on([](watch::receiver<int>& rx) -> task<int> {
    int prev = 0;
    while (co_await rx.changed()) {
      int v = *rx.borrow_and_update();
      if (v <= prev) throw std::runtime_error("went backwards");
      prev = v;
    }
    co_return prev;
  }(rx));
  t.join();
  EXPECT_EQ(seen, last);
}

}  // namespace
}  // namespace eddy::sync
