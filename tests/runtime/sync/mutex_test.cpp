#include <eddy/sync/mutex.hpp>

#include <gtest/gtest.h>

#include <optional>
#include <thread>
#include <vector>

#include "sync_test_support.hpp"

namespace eddy::sync {
namespace {

using test::probe;

TEST(Mutex, LockTryLockAndGuardUnlock) {
  mutex m;
  probe p;
  auto f = m.lock();
  auto r = p.poll(f);
  ASSERT_TRUE(r.is_ready());
  mutex_guard g = std::move(r).value();
  EXPECT_TRUE(m.is_locked());
  EXPECT_FALSE(m.try_lock().has_value());
  mutex_guard moved = std::move(g);
  EXPECT_FALSE(g.owns_lock());
  EXPECT_TRUE(moved.owns_lock());
  moved.unlock();
  EXPECT_FALSE(m.is_locked());
  auto t = m.try_lock();
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->get(), &m);
}

TEST(Mutex, WaitersGetTheLockInFifoOrder) {
  mutex m;
  std::vector<int> order;
  block_on([](mutex& m, std::vector<int>& order) -> task<> {
    auto first = co_await m.lock();
    std::vector<join_handle<void>> hs;
    for (int i = 0; i < 5; ++i)
      hs.push_back(spawn([](mutex& m, std::vector<int>& order, int i) -> task<> {
        auto g = co_await m.lock();
        order.push_back(i);
        co_await yield_now();  // hold it across a suspension
      }(m, order, i)));
    for (int i = 0; i < 3; ++i) co_await yield_now();  // let all of them queue
    first.unlock();
    for (auto& h : hs) co_await h;
  }(m, order));
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(Mutex, CancelledWaitersPassTheLockOn) {
  mutex m;
  auto held = m.try_lock();
  probe pa, pb, pc;
  std::optional<mutex::lock_future> a(m.lock()), b(m.lock()), c(m.lock());
  EXPECT_TRUE(pa.poll(*a).is_pending());
  EXPECT_TRUE(pb.poll(*b).is_pending());
  EXPECT_TRUE(pc.poll(*c).is_pending());
  b.reset();     // cancelled mid-queue
  held.reset();  // unlock: a is handed the lock
  EXPECT_EQ(pa.wakes(), 1);
  a.reset();  // cancelled after being handed it: c gets it
  EXPECT_EQ(pc.wakes(), 1);
  auto r = pc.poll(*c);
  ASSERT_TRUE(r.is_ready());
  EXPECT_TRUE(m.is_locked());
  { auto g = std::move(r).value(); }
  EXPECT_FALSE(m.is_locked());
  EXPECT_EQ(pa.held() + pb.held() + pc.held(), 0);
}

TEST(Mutex, MutualExclusionAcrossThreads) {
  constexpr int threads = 4, rounds = 5000;
  mutex m;
  long counter = 0;  // plain: TSan reports any unprotected access
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&] {
      block_on([](mutex& m, long& counter) -> task<> {
        for (int i = 0; i < rounds; ++i) {
          auto g = co_await m.lock();
          long v = counter;
          if (i % 5 == 0) co_await yield_now();
          counter = v + 1;
        }
      }(m, counter));
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(counter, static_cast<long>(threads) * rounds);
}

}  // namespace
}  // namespace eddy::sync
