#include <eddy/sync/oneshot.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>

#include "sync_test_support.hpp"

namespace eddy::sync {
namespace {

using test::probe;

TEST(Oneshot, SendThenReceive) {
  auto [tx, rx] = oneshot::channel<std::string>();
  ASSERT_TRUE(tx.send("hello").has_value());
  EXPECT_FALSE(tx.valid());  // consumed by send
  auto r = block_on([](oneshot::receiver<std::string> rx) -> task<result<std::string>> {
    co_return co_await rx;
  }(std::move(rx)));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, "hello");
}

TEST(Oneshot, ReceiverWaitsAndIsWokenOnceBySend) {
  auto [tx, rx] = oneshot::channel<int>();
  probe p;
  EXPECT_TRUE(p.poll(rx).is_pending());
  EXPECT_TRUE(p.poll(rx).is_pending());  // same waker: stored once
  EXPECT_EQ(p.held(), 1);
  EXPECT_EQ(p.wakes(), 0);
  ASSERT_TRUE(tx.send(7).has_value());
  EXPECT_EQ(p.wakes(), 1);
  EXPECT_EQ(p.held(), 0);
  auto r = p.poll(rx);
  ASSERT_TRUE(r.is_ready());
  EXPECT_EQ(*r.value(), 7);
  // A completed receiver reports closed from then on.
  EXPECT_EQ(rx.try_recv().error(), errc::closed);
}

TEST(Oneshot, DroppingSenderGivesClosed) {
  auto [tx, rx] = oneshot::channel<int>();
  probe p;
  EXPECT_TRUE(p.poll(rx).is_pending());
  { auto gone = std::move(tx); }
  EXPECT_EQ(p.wakes(), 1);
  auto r = p.poll(rx);
  ASSERT_TRUE(r.is_ready());
  EXPECT_EQ(r.value().error(), errc::closed);
}

TEST(Oneshot, SendToDroppedReceiverFailsAndKeepsValue) {
  auto [tx, rx] = oneshot::channel<std::unique_ptr<int>>();
  { auto gone = std::move(rx); }
  auto v = std::make_unique<int>(3);
  EXPECT_TRUE(tx.is_closed());
  EXPECT_EQ(tx.send(std::move(v)).error(), errc::closed);
  ASSERT_NE(v, nullptr);  // not moved from on failure
  EXPECT_EQ(*v, 3);
}

TEST(Oneshot, TryRecvReportsEmptyValueAndClosed) {
  auto [tx, rx] = oneshot::channel<int>();
  EXPECT_EQ(rx.try_recv().error(), errc::empty);
  ASSERT_TRUE(tx.send(1).has_value());
  auto r = rx.try_recv();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, 1);
  EXPECT_EQ(rx.try_recv().error(), errc::closed);
}

TEST(Oneshot, CloseRefusesSendButKeepsValueAlreadySent) {
  {
    auto [tx, rx] = oneshot::channel<int>();
    rx.close();
    EXPECT_EQ(tx.send(1).error(), errc::closed);
  }
  {
    auto [tx, rx] = oneshot::channel<int>();
    ASSERT_TRUE(tx.send(2).has_value());
    rx.close();
    auto r = rx.try_recv();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, 2);
  }
}

TEST(Oneshot, ClosedFutureCompletesWhenReceiverDropped) {
  auto [tx, rx] = oneshot::channel<int>();
  probe p;
  auto closed = tx.closed();
  EXPECT_TRUE(p.poll(closed).is_pending());
  EXPECT_EQ(p.held(), 1);
  { auto gone = std::move(rx); }
  EXPECT_EQ(p.wakes(), 1);
  EXPECT_TRUE(p.poll(closed).is_ready());
}

TEST(Oneshot, DroppedReceiverDropsUnreceivedValue) {
  int drops = 0;
  {
    auto [tx, rx] = oneshot::channel<test::tracked>();
    ASSERT_TRUE(tx.send(test::tracked(1, &drops)).has_value());
    EXPECT_EQ(drops, 0);
  }
  EXPECT_EQ(drops, 1);
}

TEST(Oneshot, CancelledAwaitKeepsTheValueInTheReceiver) {
  auto [tx, rx] = oneshot::channel<int>();
  {
    // The awaiting task loses a select and is destroyed while waiting on rx.
    auto waiter = [](oneshot::receiver<int>& rx) -> task<int> {
      auto r = co_await rx;
      co_return r ? *r : -1;
    };
    auto v = block_on(select(waiter(rx), yield_now()));
    EXPECT_EQ(v.index(), 1u);
  }
  ASSERT_TRUE(tx.send(5).has_value());
  auto r = rx.try_recv();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, 5);
}

TEST(Oneshot, SendFromAnotherThreadWakesTask) {
  for (int round = 0; round < 200; ++round) {
    auto [tx, rx] = oneshot::channel<int>();
    std::thread t([tx = std::move(tx), round]() mutable { (void)tx.send(round); });
    auto r = block_on(
        [](oneshot::receiver<int>& rx) -> task<result<int>> { co_return co_await rx; }(rx));
    t.join();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, round);
  }
}

}  // namespace
}  // namespace eddy::sync
