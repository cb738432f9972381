#include <eddy/sync/mpsc.hpp>

#include <eddy/runtime.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <thread>
#include <vector>

#include "alloc_counter.hpp"
#include "sync_test_support.hpp"

namespace eddy::sync {
namespace {

using test::probe;

template <class T>
std::vector<T> drain(mpsc::receiver<T>& rx) {
  std::vector<T> out;
  for (auto r = rx.try_recv(); r; r = rx.try_recv()) out.push_back(std::move(*r));
  return out;
}

TEST(Mpsc, BoundedDeliversInOrder) {
  auto [tx, rx] = mpsc::channel<int>(8);
  auto got = block_on([](mpsc::sender<int> tx, mpsc::receiver<int>& rx) -> task<std::vector<int>> {
    for (int i = 0; i < 5; ++i) (void)co_await tx.send(i);
    std::vector<int> v;
    for (int i = 0; i < 5; ++i) v.push_back(*co_await rx.recv());
    co_return v;
  }(std::move(tx), rx));
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(Mpsc, RecvWaitsAndIsWokenBySend) {
  auto [tx, rx] = mpsc::channel<int>(2);
  probe p;
  auto f = rx.recv();
  EXPECT_TRUE(p.poll(f).is_pending());
  EXPECT_EQ(p.held(), 1);
  ASSERT_TRUE(tx.try_send(9).has_value());
  EXPECT_EQ(p.wakes(), 1);
  auto r = p.poll(f);
  ASSERT_TRUE(r.is_ready());
  EXPECT_EQ(r.value(), 9);
}

TEST(Mpsc, EndOfStreamAfterBufferedValuesWhenAllSendersDropped) {
  auto [tx, rx] = mpsc::channel<int>(4);
  {
    auto tx2 = tx;  // a copy keeps the channel open
    ASSERT_TRUE(tx.try_send(1).has_value());
    { auto gone = std::move(tx); }
    probe p;
    auto f = rx.recv();
    EXPECT_EQ(p.poll(f).value(), 1);
    auto g = rx.recv();
    EXPECT_TRUE(p.poll(g).is_pending());
    ASSERT_TRUE(tx2.try_send(2).has_value());
  }
  // Every sender is gone now: the buffered value first, then end of stream.
  probe p;
  auto f = rx.recv();
  EXPECT_EQ(p.poll(f).value(), 2);
  auto g = rx.recv();
  auto end = p.poll(g);
  ASSERT_TRUE(end.is_ready());
  EXPECT_EQ(end.value(), std::nullopt);
  EXPECT_EQ(rx.try_recv().error(), errc::closed);
}

TEST(Mpsc, LastSenderDropWakesWaitingReceiver) {
  auto [tx, rx] = mpsc::channel<int>(1);
  probe p;
  auto f = rx.recv();
  EXPECT_TRUE(p.poll(f).is_pending());
  { auto gone = std::move(tx); }
  EXPECT_EQ(p.wakes(), 1);
  EXPECT_EQ(p.poll(f).value(), std::nullopt);
}

TEST(Mpsc, TrySendFullAndTryRecvEmpty) {
  auto [tx, rx] = mpsc::channel<int>(1);
  EXPECT_EQ(rx.try_recv().error(), errc::empty);
  EXPECT_EQ(tx.capacity(), 1u);
  ASSERT_TRUE(tx.try_send(1).has_value());
  EXPECT_EQ(tx.capacity(), 0u);
  EXPECT_EQ(tx.try_send(2).error(), errc::full);
  EXPECT_EQ(*rx.try_recv(), 1);
  EXPECT_EQ(tx.max_capacity(), 1u);
}

TEST(Mpsc, WaitingSendersAreServedInFifoOrder) {
  auto [tx, rx] = mpsc::channel<int>(1);
  ASSERT_TRUE(tx.try_send(0).has_value());
  probe pa, pb, pc;
  auto a = tx.send(1), b = tx.send(2), c = tx.send(3);
  EXPECT_TRUE(pa.poll(a).is_pending());
  EXPECT_TRUE(pb.poll(b).is_pending());
  EXPECT_TRUE(pc.poll(c).is_pending());
  // A waiting sender is not overtaken by try_send.
  EXPECT_EQ(tx.try_send(99).error(), errc::full);

  EXPECT_EQ(*rx.try_recv(), 0);  // frees a slot: it goes to a, and only a
  EXPECT_EQ(pa.wakes(), 1);
  EXPECT_EQ(pb.wakes() + pc.wakes(), 0);
  // c polled spuriously stays behind b.
  EXPECT_TRUE(pc.poll(c).is_pending());
  EXPECT_TRUE(pa.poll(a).is_ready());

  EXPECT_EQ(*rx.try_recv(), 1);
  EXPECT_EQ(pb.wakes(), 1);
  EXPECT_EQ(pc.wakes(), 0);
  EXPECT_TRUE(pb.poll(b).is_ready());
  EXPECT_EQ(*rx.try_recv(), 2);
  EXPECT_TRUE(pc.poll(c).is_ready());
  EXPECT_EQ(*rx.try_recv(), 3);
  EXPECT_EQ(pa.held() + pb.held() + pc.held(), 0);
}

TEST(Mpsc, DroppedWaitingSendersLeaveNoWakerAndPassTheirSlotOn) {
  int drops = 0;
  auto [tx, rx] = mpsc::channel<test::tracked>(1);
  ASSERT_TRUE(tx.try_send(test::tracked(0, &drops)).has_value());
  probe pa, pb, pc;
  std::optional<mpsc::send_future<test::tracked>> a, b, c;
  a.emplace(tx.send(test::tracked(1, &drops)));
  b.emplace(tx.send(test::tracked(2, &drops)));
  c.emplace(tx.send(test::tracked(3, &drops)));
  EXPECT_TRUE(pa.poll(*a).is_pending());
  EXPECT_TRUE(pb.poll(*b).is_pending());
  EXPECT_TRUE(pc.poll(*c).is_pending());

  b.reset();  // dropped mid-queue: unlinked, its value dropped unsent
  EXPECT_EQ(pb.held(), 0);
  EXPECT_EQ(drops, 1);

  EXPECT_EQ(rx.try_recv()->value, 0);  // the slot goes to a...
  EXPECT_EQ(pa.wakes(), 1);
  EXPECT_EQ(pc.wakes(), 0);
  a.reset();  // ...which is dropped before it uses it: c gets it
  EXPECT_EQ(pa.held(), 0);
  EXPECT_EQ(pc.wakes(), 1);
  EXPECT_TRUE(pc.poll(*c).is_ready());
  c.reset();
  auto got = drain(rx);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].value, 3);
  EXPECT_EQ(pc.held(), 0);
}

TEST(Mpsc, DroppedRecvFutureLosesNothing) {
  auto [tx, rx] = mpsc::channel<int>(1);
  probe p;
  {
    auto f = rx.recv();
    EXPECT_TRUE(p.poll(f).is_pending());
    EXPECT_EQ(p.held(), 1);
  }
  EXPECT_EQ(p.held(), 0);  // no waker left behind
  ASSERT_TRUE(tx.try_send(4).has_value());
  EXPECT_EQ(p.wakes(), 0);
  EXPECT_EQ(*rx.try_recv(), 4);
}

TEST(Mpsc, DroppingReceiverFailsWaitingSendersAndDropsBufferedValues) {
  int drops = 0;
  auto [tx, rx] = mpsc::channel<test::tracked>(1);
  ASSERT_TRUE(tx.try_send(test::tracked(0, &drops)).has_value());
  probe p;
  auto f = tx.send(test::tracked(1, &drops));
  EXPECT_TRUE(p.poll(f).is_pending());
  { auto gone = std::move(rx); }
  EXPECT_EQ(drops, 1);  // the buffered one
  EXPECT_EQ(p.wakes(), 1);
  auto r = p.poll(f);
  ASSERT_TRUE(r.is_ready());
  EXPECT_EQ(r.value().error(), errc::closed);
  EXPECT_TRUE(tx.is_closed());
  test::tracked v(2, &drops);
  EXPECT_EQ(tx.try_send(std::move(v)).error(), errc::closed);
  EXPECT_NE(v.drops, nullptr);  // not moved from
}

TEST(Mpsc, CloseRefusesSendsButDrainsBufferedValues) {
  auto [tx, rx] = mpsc::channel<int>(4);
  ASSERT_TRUE(tx.try_send(1).has_value());
  ASSERT_TRUE(tx.try_send(2).has_value());
  rx.close();
  EXPECT_EQ(tx.try_send(3).error(), errc::closed);
  probe p;
  auto s = tx.send(3);
  EXPECT_EQ(p.poll(s).value().error(), errc::closed);
  EXPECT_EQ(drain(rx), (std::vector<int>{1, 2}));
  auto f = rx.recv();
  EXPECT_EQ(p.poll(f).value(), std::nullopt);
}

TEST(Mpsc, UnboundedGrowsAndKeepsOrder) {
  auto [tx, rx] = mpsc::unbounded_channel<int>();
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(tx.send(i).has_value());
    if (i % 3 == 0) {
      EXPECT_EQ(*rx.try_recv(), i / 3);  // wrap around while growing
    }
  }
  auto got = drain(rx);
  ASSERT_EQ(got.size(), 1000u - 334u);
  for (std::size_t k = 0; k < got.size(); ++k) EXPECT_EQ(got[k], static_cast<int>(334 + k));
  { auto gone = std::move(rx); }
  EXPECT_EQ(tx.send(1).error(), errc::closed);
}

TEST(Mpsc, SelectLosingRecvDoesNotLoseValue) {
  auto [tx, rx] = mpsc::channel<int>(4);
  auto r = block_on([](mpsc::receiver<int>& rx) -> task<std::size_t> {
    auto v = co_await select(rx.recv(), yield_now());
    co_return v.index();
  }(rx));
  EXPECT_EQ(r, 1u);
  ASSERT_TRUE(tx.try_send(1).has_value());
  EXPECT_EQ(*rx.try_recv(), 1);
}

task<> ping(mpsc::sender<int> out, mpsc::receiver<int>& in, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    (void)co_await out.send(i);
    auto v = co_await in.recv();
    if (!v || *v != i) throw std::runtime_error("ping: wrong value");
  }
}
task<> pong(mpsc::sender<int> out, mpsc::receiver<int>& in) {
  while (auto v = co_await in.recv()) (void)co_await out.send(*v);
}

TEST(Mpsc, PingPongBetweenTasksAllocatesNothingPerMessage) {
  auto [atx, arx] = mpsc::channel<int>(1);
  auto [btx, brx] = mpsc::channel<int>(1);
  long allocs = -1;
  block_on([](mpsc::sender<int> atx, mpsc::receiver<int>& arx, mpsc::sender<int> btx,
              mpsc::receiver<int>& brx, long& allocs) -> task<> {
    auto h = spawn(pong(std::move(btx), arx));
    co_await ping(atx, brx, 100);  // warm up
    // The task's own frame is made before counting starts: without the frame
    // pool (ASan builds) it is a heap allocation, and it is not per message.
    {
      // Scoped: the frame keeps its copy of atx until destroyed, and pong ends
      // only once every sender is gone.
      task<> measured = ping(atx, brx, 10000);
      test::count_allocations(true);
      co_await measured;
      test::count_allocations(false);
      allocs = test::take_allocation_count();
    }
    { auto drop = std::move(atx); }
    co_await h;
  }(std::move(atx), arx, std::move(btx), brx, allocs));
  EXPECT_EQ(allocs, 0);
}

TEST(Mpsc, PingPongAcrossThreads) {
  auto [atx, arx] = mpsc::channel<int>(1);
  auto [btx, brx] = mpsc::channel<int>(1);
  std::thread other(
      [btx = std::move(btx), &in = arx]() mutable { block_on(pong(std::move(btx), in)); });
  block_on([](mpsc::sender<int> atx, mpsc::receiver<int>& brx) -> task<> {
    co_await ping(std::move(atx), brx, 20000);
  }(std::move(atx), brx));
  other.join();  // the ping task dropped its sender: pong saw end of stream
}

// A receiving task's waker stays in the channel between messages (chan::rx_waker)
// and is woken by reference. When the receiver passes to another task, that task
// must be the one woken, and the first one's waker must not be (it has finished):
// a thread sends 0..n-1 while spawned tasks receive `share` values each in turn,
// each handing the receiver to the next through its join handle.
TEST(Mpsc, ReceiverHandedFromTaskToTaskWakesTheNewOne) {
  constexpr int n = 3000, share = 500;
  for (bool multi : {false, true}) {
    SCOPED_TRACE(multi ? "multi_thread" : "current_thread");
    runtime rt = multi ? runtime::new_multi_thread().worker_threads(2).build()
                       : runtime::new_current_thread().build();
    auto [tx, rx] = mpsc::channel<int>(1);
    std::thread producer([tx = std::move(tx)]() mutable {
      for (int i = 0; i < n; ++i)
        if (!block_on(tx.send(i))) return;
    });
    auto got = rt.block_on([](mpsc::receiver<int> rx) -> task<std::vector<int>> {
      std::vector<int> seen;
      for (int t = 0; t < n / share; ++t) {
        auto h =
            spawn([](mpsc::receiver<int> rx, std::vector<int>& seen) -> task<mpsc::receiver<int>> {
              for (int i = 0; i < share; ++i) seen.push_back(*co_await rx.recv());
              co_return rx;
            }(std::move(rx), seen));
        rx = co_await h;
      }
      co_return seen;
    }(std::move(rx)));
    producer.join();
    ASSERT_EQ(got.size(), static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) ASSERT_EQ(got[i], i);
  }
}

TEST(Mpsc, ManyProducerThreadsIntoOneTask) {
  constexpr int producers = 4, per = 5000;
  auto [tx, rx] = mpsc::channel<int>(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < producers; ++t)
    threads.emplace_back([tx = tx, t]() mutable {
      block_on([](mpsc::sender<int> tx, int t) -> task<> {
        for (int i = 0; i < per; ++i) (void)co_await tx.send(t * per + i);
      }(std::move(tx), t));
    });
  { auto drop = std::move(tx); }
  auto seen = block_on([](mpsc::receiver<int>& rx) -> task<std::vector<int>> {
    std::vector<int> last(producers, -1);
    while (auto v = co_await rx.recv()) {
      int t = *v / per;
      if (*v <= last[t]) throw std::runtime_error("out of order");  // FIFO per producer
      last[t] = *v;
    }
    co_return last;
  }(rx));
  for (auto& t : threads) t.join();
  for (int t = 0; t < producers; ++t) EXPECT_EQ(seen[t], t * per + per - 1);
}

TEST(Mpsc, UnboundedFromPlainThread) {
  auto [tx, rx] = mpsc::unbounded_channel<std::vector<int>>();
  std::thread t([tx = std::move(tx)]() mutable {
    for (int i = 0; i < 10000; ++i) (void)tx.send(std::vector<int>{i});
  });
  auto sum = block_on([](mpsc::receiver<std::vector<int>>& rx) -> task<long> {
    long s = 0;
    int expect = 0;
    while (auto v = co_await rx.recv()) {
      if ((*v)[0] != expect++) throw std::runtime_error("out of order");
      s += (*v)[0];
    }
    co_return s;
  }(rx));
  t.join();
  EXPECT_EQ(sum, 10000L * 9999 / 2);
}

}  // namespace
}  // namespace eddy::sync
