#include <eddy/sync/notify.hpp>

#include <gtest/gtest.h>

#include <deque>
#include <optional>
#include <thread>

#include "sync_test_support.hpp"

namespace eddy::sync {
namespace {

using test::probe;

TEST(Notify, NotifyOneWithoutWaiterStoresASinglePermit) {
  notify n;
  n.notify_one();
  n.notify_one();  // still one permit
  probe p;
  auto a = n.notified();
  EXPECT_TRUE(p.poll(a).is_ready());
  auto b = n.notified();
  EXPECT_TRUE(p.poll(b).is_pending());
  n.notify_one();
  EXPECT_EQ(p.wakes(), 1);
  EXPECT_TRUE(p.poll(b).is_ready());
}

TEST(Notify, NotifyOneWakesWaitersInFifoOrder) {
  notify n;
  probe pa, pb, pc;
  auto a = n.notified(), b = n.notified(), c = n.notified();
  EXPECT_TRUE(pa.poll(a).is_pending());
  EXPECT_TRUE(pb.poll(b).is_pending());
  EXPECT_TRUE(pc.poll(c).is_pending());
  n.notify_one();
  EXPECT_EQ(pa.wakes(), 1);
  EXPECT_EQ(pb.wakes() + pc.wakes(), 0);
  EXPECT_TRUE(pb.poll(b).is_pending());  // spurious poll keeps its place
  n.notify_one();
  EXPECT_EQ(pb.wakes(), 1);
  EXPECT_EQ(pc.wakes(), 0);
  EXPECT_TRUE(pa.poll(a).is_ready());
  EXPECT_TRUE(pb.poll(b).is_ready());
  EXPECT_TRUE(pc.poll(c).is_pending());
  n.notify_one();
  EXPECT_TRUE(pc.poll(c).is_ready());
}

TEST(Notify, NotifyWaitersWakesEveryWaiterPresentAndStoresNothing) {
  notify n;
  std::deque<probe> probes(40);  // more than one wake batch
  std::deque<notify::notified_future> fs;
  for (auto& p : probes) {
    fs.push_back(n.notified());
    EXPECT_TRUE(p.poll(fs.back()).is_pending());
  }
  auto created = n.notified();  // created before, polled after: completes too
  n.notify_waiters();
  for (std::size_t i = 0; i < probes.size(); ++i) {
    EXPECT_EQ(probes[i].wakes(), 1);
    EXPECT_TRUE(probes[i].poll(fs[i]).is_ready());
  }
  probe p;
  EXPECT_TRUE(p.poll(created).is_ready());
  auto later = n.notified();  // no permit was stored
  EXPECT_TRUE(p.poll(later).is_pending());
}

TEST(Notify, CancelledWaiterLeavesNoWakerAndPassesNotifyOneOn) {
  notify n;
  probe pa, pb, pc;
  std::optional<notify::notified_future> a(n.notified()), b(n.notified()), c(n.notified());
  EXPECT_TRUE(pa.poll(*a).is_pending());
  EXPECT_TRUE(pb.poll(*b).is_pending());
  EXPECT_TRUE(pc.poll(*c).is_pending());
  b.reset();  // mid-queue
  EXPECT_EQ(pb.held(), 0);
  n.notify_one();
  EXPECT_EQ(pa.wakes(), 1);
  a.reset();  // picked but never observed it: c gets it
  EXPECT_EQ(pc.wakes(), 1);
  c.reset();  // likewise, and nobody is left: it becomes the permit
  probe p;
  auto d = n.notified();
  EXPECT_TRUE(p.poll(d).is_ready());
  EXPECT_EQ(pa.held() + pb.held() + pc.held(), 0);
}

TEST(Notify, NotificationsFromAnotherThread) {
  constexpr int rounds = 2000;
  notify ping, pong;
  std::thread t([&] {
    block_on([](notify& ping, notify& pong) -> task<> {
      for (int i = 0; i < rounds; ++i) {
        co_await ping.notified();
        pong.notify_one();
      }
    }(ping, pong));
  });
  int done = block_on([](notify& ping, notify& pong) -> task<int> {
    int i = 0;
    for (; i < rounds; ++i) {
      ping.notify_one();
      co_await pong.notified();
    }
    co_return i;
  }(ping, pong));
  t.join();
  EXPECT_EQ(done, rounds);
}

}  // namespace
}  // namespace eddy::sync
