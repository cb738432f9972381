#include <eddy/sync/broadcast.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "sync_test_support.hpp"

namespace eddy::sync {
namespace {

using test::probe;

TEST(Broadcast, EveryReceiverGetsEveryValueInOrder) {
  auto [tx, rx1] = broadcast::channel<int>(8);
  auto rx2 = tx.subscribe();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(*tx.send(i), 2u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(*rx1.try_recv(), i);
    EXPECT_EQ(*rx2.try_recv(), i);
  }
  EXPECT_EQ(rx1.try_recv().error(), errc::empty);
}

TEST(Broadcast, SlowReceiverLagsThenContinuesFromTheOldest) {
  auto [tx, rx] = broadcast::channel<int>(3);  // rounded up to 4
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(tx.send(i).has_value());
  EXPECT_EQ(rx.len(), 7u);
  auto r = rx.try_recv();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), errc::lagged);
  EXPECT_EQ(r.lagged(), 3u);
  for (int i = 3; i < 7; ++i) EXPECT_EQ(*rx.try_recv(), i);
  EXPECT_EQ(rx.try_recv().error(), errc::empty);
}

TEST(Broadcast, ClosedAfterEverySenderDroppedAndAllRead) {
  auto [tx, rx] = broadcast::channel<int>(4);
  probe p;
  auto f = rx.recv();
  EXPECT_TRUE(p.poll(f).is_pending());
  {
    auto tx2 = tx;
    ASSERT_TRUE(tx2.send(1).has_value());
    EXPECT_EQ(p.wakes(), 1);
    { auto gone = std::move(tx); }
  }
  EXPECT_EQ(*p.poll(f).value(), 1);
  auto g = rx.recv();
  EXPECT_EQ(p.poll(g).value().error(), errc::closed);
}

TEST(Broadcast, SendWithoutReceiversFails) {
  auto [tx, rx] = broadcast::channel<int>(4);
  { auto gone = std::move(rx); }
  EXPECT_EQ(tx.receiver_count(), 0u);
  EXPECT_EQ(tx.send(1).error(), errc::closed);
  auto rx2 = tx.subscribe();
  EXPECT_EQ(*tx.send(2), 1u);
  EXPECT_EQ(*rx2.try_recv(), 2);
}

TEST(Broadcast, ValuesAreReleasedOnceEveryReceiverReadOrLeft) {
  auto [tx, rx1] = broadcast::channel<std::shared_ptr<int>>(4);
  auto rx2 = tx.subscribe();
  auto v = std::make_shared<int>(1);
  ASSERT_TRUE(tx.send(v).has_value());
  EXPECT_EQ(v.use_count(), 2);
  { auto got = rx1.try_recv(); }
  EXPECT_EQ(v.use_count(), 2);  // rx2 has not read it yet
  { auto gone = std::move(rx2); }
  EXPECT_EQ(v.use_count(), 1);
}

TEST(Broadcast, CancelledRecvLosesNothingAndLeavesNoWaker) {
  auto [tx, rx] = broadcast::channel<int>(4);
  probe p;
  {
    auto f = rx.recv();
    EXPECT_TRUE(p.poll(f).is_pending());
    EXPECT_EQ(p.held(), 1);
  }
  EXPECT_EQ(p.held(), 0);
  ASSERT_TRUE(tx.send(7).has_value());
  EXPECT_EQ(p.wakes(), 0);
  EXPECT_EQ(*rx.try_recv(), 7);
}

TEST(Broadcast, ResubscribeStartsAtTheTail) {
  auto [tx, rx] = broadcast::channel<int>(4);
  ASSERT_TRUE(tx.send(1).has_value());
  auto rx2 = rx.resubscribe();
  ASSERT_TRUE(tx.send(2).has_value());
  EXPECT_EQ(*rx2.try_recv(), 2);
  EXPECT_EQ(*rx.try_recv(), 1);
}

TEST(Broadcast, ManyReceiverTasksAcrossThreads) {
  constexpr int values = 5000, receivers = 3;
  auto [tx, rx] = broadcast::channel<int>(64);
  std::vector<broadcast::receiver<int>> rxs;
  rxs.push_back(std::move(rx));
  for (int i = 1; i < receivers; ++i) rxs.push_back(tx.subscribe());
  std::vector<long> sums(receivers, 0);
  std::vector<std::uint64_t> lagged(receivers, 0);
  std::vector<std::thread> ts;
  for (int i = 0; i < receivers; ++i)
    ts.emplace_back([&, i] {
      block_on([](broadcast::receiver<int>& rx, long& sum, std::uint64_t& lag) -> task<> {
        for (;;) {
          auto r = co_await rx.recv();
          if (r) {
            sum += *r;
          } else if (r.error() == errc::lagged) {
            lag += r.lagged();
          } else {
            co_return;
          }
        }
      }(rxs[i], sums[i], lagged[i]));
    });
  for (int v = 1; v <= values; ++v) (void)tx.send(v);
  { auto gone = std::move(tx); }
  for (auto& t : ts) t.join();
  // A receiver may lag (the sender never waits), but sees or counts every value.
  for (int i = 0; i < receivers; ++i) {
    EXPECT_LE(sums[i], static_cast<long>(values) * (values + 1) / 2);
    if (lagged[i] == 0) {
      EXPECT_EQ(sums[i], static_cast<long>(values) * (values + 1) / 2);
    }
  }
}

}  // namespace
}  // namespace eddy::sync
