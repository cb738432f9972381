#include <eddy/sync/semaphore.hpp>

#include <gtest/gtest.h>

#include <optional>
#include <thread>
#include <vector>

#include "sync_test_support.hpp"

namespace eddy::sync {
namespace {

using test::probe;

TEST(Semaphore, TryAcquireAndRelease) {
  semaphore s(2);
  EXPECT_TRUE(s.try_acquire());
  EXPECT_FALSE(s.try_acquire(2));
  EXPECT_EQ(s.available(), 1u);
  s.release(2);
  EXPECT_EQ(s.available(), 3u);
  EXPECT_TRUE(s.try_acquire(3));
}

TEST(Semaphore, AcquireIsReadyWhenPermitsAreFree) {
  semaphore s(3);
  probe p;
  auto f = s.acquire(3);
  EXPECT_TRUE(p.poll(f).is_ready());
  EXPECT_EQ(s.available(), 0u);
  EXPECT_EQ(p.held(), 0);
}

TEST(Semaphore, WaitersAreServedInFifoOrderEvenWhenLaterOnesNeedLess) {
  semaphore s(0);
  probe pa, pb, pc;
  auto a = s.acquire(2), b = s.acquire(1), c = s.acquire(1);
  EXPECT_TRUE(pa.poll(a).is_pending());
  EXPECT_TRUE(pb.poll(b).is_pending());
  EXPECT_TRUE(pc.poll(c).is_pending());

  s.release(1);  // goes to a (partially): b must not overtake it
  EXPECT_EQ(pa.wakes() + pb.wakes() + pc.wakes(), 0);
  EXPECT_EQ(s.available(), 0u);
  EXPECT_FALSE(s.try_acquire());  // nor may try_acquire
  s.release(1);
  EXPECT_EQ(pa.wakes(), 1);
  EXPECT_EQ(pb.wakes() + pc.wakes(), 0);
  EXPECT_TRUE(pa.poll(a).is_ready());

  s.release(3);
  EXPECT_EQ(pb.wakes(), 1);
  EXPECT_EQ(pc.wakes(), 1);
  EXPECT_TRUE(pb.poll(b).is_ready());
  EXPECT_TRUE(pc.poll(c).is_ready());
  EXPECT_EQ(s.available(), 1u);
  EXPECT_EQ(pa.held() + pb.held() + pc.held(), 0);
}

TEST(Semaphore, DroppedWaiterGivesBackItsPermitsToTheNext) {
  semaphore s(0);
  probe pa, pb, pc;
  std::optional<semaphore::acquire_future> a(s.acquire(2)), b(s.acquire(1)), c(s.acquire(1));
  EXPECT_TRUE(pa.poll(*a).is_pending());
  EXPECT_TRUE(pb.poll(*b).is_pending());
  EXPECT_TRUE(pc.poll(*c).is_pending());
  s.release(1);  // a holds 1 of its 2
  a.reset();     // cancelled mid-queue: its permit goes to b
  EXPECT_EQ(pa.held(), 0);
  EXPECT_EQ(pb.wakes(), 1);
  EXPECT_EQ(pc.wakes(), 0);
  b.reset();  // woken but dropped before it saw the permit: c gets it
  EXPECT_EQ(pb.held(), 0);
  EXPECT_EQ(pc.wakes(), 1);
  c.reset();  // and once more: the permit is free again
  EXPECT_EQ(s.available(), 1u);
  EXPECT_EQ(pc.held(), 0);
}

TEST(Semaphore, LimitsConcurrencyAcrossThreads) {
  constexpr int threads = 4, rounds = 2000;
  semaphore s(2);
  std::atomic<int> inside{0}, max_inside{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&] {
      block_on([](semaphore& s, std::atomic<int>& in, std::atomic<int>& mx) -> task<> {
        for (int i = 0; i < rounds; ++i) {
          co_await s.acquire();
          int now = ++in;
          int seen = mx.load();
          while (now > seen && !mx.compare_exchange_weak(seen, now)) {
          }
          if (i % 7 == 0) co_await yield_now();
          --in;
          s.release();
        }
      }(s, inside, max_inside));
    });
  for (auto& t : ts) t.join();
  EXPECT_LE(max_inside.load(), 2);
  EXPECT_EQ(s.available(), 2u);
}

}  // namespace
}  // namespace eddy::sync
