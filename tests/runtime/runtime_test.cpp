// The same behaviour on every runtime flavour (current_thread, multi_thread with
// 2 workers and a reactor thread, multi_thread with 2 workers that run the
// driver when idle), then what only the multi-thread runtime promises.
#include <eddy/runtime.hpp>
#include <eddy/sync/oneshot.hpp>
#include <eddy/timer.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace eddy {
namespace {

struct flavor_param {
  runtime_flavor flavor;
  reactor_mode reactor;
  const char* name;
};

runtime make_runtime(const flavor_param& p) {
  auto b = p.flavor == runtime_flavor::current_thread
               ? runtime::new_current_thread()
               : runtime::new_multi_thread().worker_threads(2).reactor(p.reactor);
  return b.build();
}

class RuntimeConformance : public testing::TestWithParam<flavor_param> {
 protected:
  runtime rt_ = make_runtime(GetParam());
};

task<int> value_after_yield(int v) {
  co_await yield_now();
  co_return v;
}

TEST_P(RuntimeConformance, SpawnManyAndJoinAll) {
  auto main = []() -> task<long> {
    std::vector<join_handle<int>> hs;
    for (int i = 0; i < 10'000; ++i) hs.push_back(spawn(value_after_yield(i)));
    long sum = 0;
    for (auto& h : hs) sum += co_await h;
    co_return sum;
  };
  EXPECT_EQ(rt_.block_on(main()), 10'000L * 9'999 / 2);
}

TEST_P(RuntimeConformance, ExceptionReachesJoinHandle) {
  auto h = rt_.spawn([]() -> task<int> {
    co_await yield_now();
    throw std::runtime_error("worker failed");
  }());
  try {
    rt_.block_on(std::move(h));
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "worker failed");
  }
}

struct counted {
  std::atomic<int>* n;
  explicit counted(std::atomic<int>* c) : n(c) {}
  counted(const counted&) = delete;
  ~counted() { n->fetch_add(1); }
};

TEST_P(RuntimeConformance, AbortRunsDestructorsAndReportsCancelled) {
  std::atomic<int> destroyed{0};
  std::atomic<bool> started{false};
  auto h = rt_.spawn([](std::atomic<int>* d, std::atomic<bool>* s) -> task<int> {
    counted c(d);
    s->store(true);
    co_await sleep_for(std::chrono::hours(1));
    co_return 0;
  }(&destroyed, &started));
  // Abort only once the task holds `c` (a worker may take a while to poll it on a
  // loaded machine; aborting before the first poll destroys no local).
  for (int i = 0; i < 10'000 && !started.load(); ++i) {
    rt_.block_on(sleep_for(std::chrono::milliseconds(1)));
  }
  ASSERT_TRUE(started.load());
  h.abort();
  bool cancelled = false;
  try {
    rt_.block_on(std::move(h));
  } catch (const task_cancelled&) {
    cancelled = true;
  }
  EXPECT_TRUE(cancelled);
  EXPECT_EQ(destroyed.load(), 1);
}

// A hand-written future (not a task) spawned as it is: it lives in the task's
// cell, is polled there at one address, and is destroyed when it completes or is
// aborted, exactly once (moved-from copies do not count).
struct countdown_future {
  int left;
  std::atomic<int>* destroyed;
  std::atomic<int>* polls;
  const void* polled_at = nullptr;
  bool moved_from = false;

  countdown_future(int n, std::atomic<int>* d, std::atomic<int>* p)
      : left(n), destroyed(d), polls(p) {}
  countdown_future(countdown_future&& o) noexcept
      : left(o.left), destroyed(o.destroyed), polls(o.polls) {
    o.moved_from = true;
  }
  ~countdown_future() {
    if (!moved_from) destroyed->fetch_add(1);
  }

  polled<int> poll(context& cx) {
    if (!polled_at) polled_at = this;
    if (polled_at != this) throw std::logic_error("moved after its first poll");
    polls->fetch_add(1);
    if (left < 0) throw std::runtime_error("future failed");
    if (left == 0) return 42;
    --left;
    cx.waker().wake_by_ref();  // ready again at once: polled again later
    return pending;
  }
};

TEST_P(RuntimeConformance, SpawnedFutureIsPolledInPlaceAndDestroyedOnCompletion) {
  std::atomic<int> destroyed{0}, polls{0};
  auto h = rt_.spawn(countdown_future(3, &destroyed, &polls));
  EXPECT_EQ(rt_.block_on(std::move(h)), 42);
  EXPECT_EQ(polls.load(), 4);
  EXPECT_EQ(destroyed.load(), 1);
}

TEST_P(RuntimeConformance, SpawnedFutureFromInsideATaskAndFromAHandle) {
  std::atomic<int> destroyed{0}, polls{0};
  auto main = [](std::atomic<int>* d, std::atomic<int>* p) -> task<int> {
    co_return co_await spawn(countdown_future(2, d, p)) + 1;
  };
  EXPECT_EQ(rt_.block_on(main(&destroyed, &polls)), 43);
  runtime_handle rh = rt_.handle();
  join_handle<int> jh;
  std::thread t([&] { jh = rh.spawn(countdown_future(1, &destroyed, &polls)); });
  t.join();
  EXPECT_EQ(rt_.block_on(std::move(jh)), 42);
  EXPECT_EQ(polls.load(), 3 + 2);
  EXPECT_EQ(destroyed.load(), 2);
}

TEST_P(RuntimeConformance, SpawnedFutureExceptionReachesJoinHandle) {
  std::atomic<int> destroyed{0}, polls{0};
  auto h = rt_.spawn(countdown_future(-1, &destroyed, &polls));
  EXPECT_THROW(rt_.block_on(std::move(h)), std::runtime_error);
  EXPECT_EQ(destroyed.load(), 1);
}

struct never_future {
  std::atomic<int>* destroyed;
  std::atomic<bool>* polled_once;
  waker stored;
  bool moved_from = false;
  never_future(std::atomic<int>* d, std::atomic<bool>* p) : destroyed(d), polled_once(p) {}
  never_future(never_future&& o) noexcept : destroyed(o.destroyed), polled_once(o.polled_once) {
    o.moved_from = true;
  }
  ~never_future() {
    if (!moved_from) destroyed->fetch_add(1);
  }
  polled<std::string> poll(context& cx) {
    stored = cx.waker();
    polled_once->store(true);
    return pending;
  }
};

TEST_P(RuntimeConformance, AbortedSpawnedFutureIsDestroyedAndReportsCancelled) {
  std::atomic<int> destroyed{0};
  std::atomic<bool> polled_once{false};
  auto h = rt_.spawn(never_future(&destroyed, &polled_once));
  static_assert(std::is_same_v<decltype(h), join_handle<std::string>>);
  for (int i = 0; i < 10'000 && !polled_once.load(); ++i)
    rt_.block_on(sleep_for(std::chrono::milliseconds(1)));
  ASSERT_TRUE(polled_once.load());
  h.abort();
  EXPECT_THROW(rt_.block_on(std::move(h)), task_cancelled);
  EXPECT_EQ(destroyed.load(), 1);
}

TEST_P(RuntimeConformance, SleepCompletesOnTheRuntimesTimer) {
  auto t0 = std::chrono::steady_clock::now();
  int v = rt_.block_on(rt_.spawn([]() -> task<int> {
    co_await sleep_for(std::chrono::milliseconds(20));
    co_return 5;
  }()));
  EXPECT_EQ(v, 5);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(20));
}

TEST_P(RuntimeConformance, SpawnThroughHandleFromForeignThread) {
  runtime_handle h = rt_.handle();
  join_handle<int> jh;
  std::thread t([&] { jh = h.spawn(value_after_yield(3)); });
  t.join();
  EXPECT_EQ(rt_.block_on(std::move(jh)), 3);
}

// Eight threads wake one task 1,000,000 times in all: none is lost (the task sees
// the final count), and the task is never polled by two threads at once.
TEST_P(RuntimeConformance, EightThreadsMillionWakesLoseNone) {
  constexpr int threads = 8;
  constexpr int per_thread = 125'000;
  struct shared_state {
    std::atomic<int> produced{0};
    std::atomic<int> in_poll{0};
    std::atomic<int> overlaps{0};
    std::atomic<bool> published{false};
    waker w;
  } st;
  struct until_all {
    shared_state* st;
    polled<int> poll(context& cx) {
      if (st->in_poll.fetch_add(1) != 0) st->overlaps.fetch_add(1);
      if (!st->published.load()) {
        st->w = cx.waker();
        st->published.store(true);
      }
      int seen = st->produced.load(std::memory_order_acquire);
      st->in_poll.fetch_sub(1);
      if (seen == threads * per_thread) return seen;
      return pending;
    }
  };
  auto h = rt_.spawn([](shared_state* s) -> task<int> { co_return co_await until_all{s}; }(&st));
  std::vector<std::thread> ws;
  for (int i = 0; i < threads; ++i) {
    ws.emplace_back([&st] {
      while (!st.published.load()) std::this_thread::yield();
      waker w = st.w;
      for (int j = 0; j < per_thread; ++j) {
        st.produced.fetch_add(1, std::memory_order_release);
        w.wake_by_ref();
      }
    });
  }
  int seen = rt_.block_on(std::move(h));
  for (auto& t : ws) t.join();
  st.w.reset();
  EXPECT_EQ(seen, threads * per_thread);
  EXPECT_EQ(st.overlaps.load(), 0);
}

TEST_P(RuntimeConformance, DestroyWithPendingTasksRunsTheirDestructors) {
  std::atomic<int> destroyed{0};
  std::atomic<int> started{0};
  {
    runtime rt = make_runtime(GetParam());
    for (int i = 0; i < 100; ++i) {
      rt.spawn([](std::atomic<int>* d, std::atomic<int>* s) -> task<> {
          counted c(d);
          s->fetch_add(1);
          co_await sleep_for(std::chrono::hours(1));
        }(&destroyed, &started))
          .detach();
    }
    // Until every task is inside its sleep (a timed wait here was flaky: a
    // descheduled thread could see the wait end before any task had run), with
    // a bound that only a lost task reaches.
    rt.block_on([](std::atomic<int>* s) -> task<> {
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      while (s->load() < 100 && std::chrono::steady_clock::now() < give_up) co_await yield_now();
    }(&started));
    EXPECT_EQ(started.load(), 100);
    EXPECT_EQ(destroyed.load(), 0);
  }
  EXPECT_EQ(destroyed.load(), 100);
}

// Destroyed right after the spawns, most tasks were never polled (on the
// multi-thread runtime they are then in no owned-task shard, multi_thread_core.hpp
// invariant 3, only in a run queue: the injection queue for spawns from outside,
// a worker's ring for spawns from a task). Every frame is destroyed all the same:
// each holds a copy of `token`, its parameter, until then.
TEST_P(RuntimeConformance, DestroyRightAfterSpawningDestroysEveryFrame) {
  auto token = std::make_shared<int>(0);
  constexpr int outside = 3000, inside = 3000;
  {
    runtime rt = make_runtime(GetParam());
    auto sleeper = [](std::shared_ptr<int>) -> task<> {
      co_await sleep_for(std::chrono::hours(1));
    };
    rt.spawn([](std::shared_ptr<int> t, auto make) -> task<> {
        for (int i = 0; i < inside; ++i) spawn(make(t)).detach();
        co_return;
      }(token, sleeper))
        .detach();
    for (int i = 0; i < outside; ++i) rt.spawn(sleeper(token)).detach();
  }
  EXPECT_EQ(token.use_count(), 1);
}

// Adaptive spinning (current_thread_core.hpp invariant 5, multi_thread_core.hpp
// invariant 6): replies from a foreign thread that come
// at once turn spinning on; replies that come after a spin has given up must
// still wake the parked executor. Alternates both, and checks every reply arrives
// in order.
TEST_P(RuntimeConformance, ForeignRepliesWithinAndAfterTheSpinWindowAllArrive) {
  std::mutex m;
  std::condition_variable cv;
  std::optional<sync::oneshot::sender<int>> slot;
  bool stop = false;
  std::thread replier([&] {
    for (int k = 0;; ++k) {
      std::optional<sync::oneshot::sender<int>> tx;
      {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return slot || stop; });
        if (!slot) return;
        tx = std::move(slot);
        slot.reset();
      }
      // Every 8th reply comes well after any spin window (the late-wake case).
      if (k % 8 == 7) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      (void)tx->send(k);
    }
  });
  auto main = [&]() -> task<int> {
    int in_order = 0;
    for (int i = 0; i < 200; ++i) {
      auto [tx, rx] = sync::oneshot::channel<int>();
      {
        std::lock_guard lock(m);
        slot.emplace(std::move(tx));
      }
      cv.notify_one();
      auto r = co_await rx;
      if (r && *r == i) ++in_order;
    }
    co_return in_order;
  };
  const auto start = std::chrono::steady_clock::now();
  const int in_order = rt_.block_on(rt_.spawn(main()));
  {
    std::lock_guard lock(m);
    stop = true;
  }
  cv.notify_one();
  replier.join();
  EXPECT_EQ(in_order, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

TEST_P(RuntimeConformance, BlockOnInsideOwnRuntimeIsAnError) {
  runtime* rt = &rt_;
  bool threw = rt_.block_on(rt_.spawn([](runtime* r) -> task<bool> {
    try {
      r->block_on(value_after_yield(1));
    } catch (const std::logic_error&) {
      co_return true;
    }
    co_return false;
  }(rt)));
  EXPECT_TRUE(threw);
}

INSTANTIATE_TEST_SUITE_P(Flavors, RuntimeConformance,
                         testing::Values(flavor_param{runtime_flavor::current_thread,
                                                      reactor_mode::dedicated_thread, "current"},
                                         flavor_param{runtime_flavor::multi_thread,
                                                      reactor_mode::dedicated_thread, "multi"},
                                         flavor_param{runtime_flavor::multi_thread,
                                                      reactor_mode::idle_worker,
                                                      "multi_idle_worker_driver"}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(MultiThreadRuntime, WorkStealingSpreadsTasksOverWorkers) {
  runtime rt = runtime::new_multi_thread().worker_threads(2).build();
  std::mutex m;
  std::set<std::thread::id> seen;
  std::thread::id spawner_thread;
  // One task spawns 100,000 tasks on its own worker's queue; idle workers steal.
  // The spawner counts as polled on its worker: under a slow build (ASan) the
  // thief may run every spawned task while the spawner's worker is busy spawning.
  auto spawner = [&]() -> task<> {
    spawner_thread = std::this_thread::get_id();
    {
      std::lock_guard lock(m);
      seen.insert(spawner_thread);
    }
    std::vector<join_handle<>> hs;
    hs.reserve(100'000);
    for (int i = 0; i < 100'000; ++i) {
      hs.push_back(spawn([](std::mutex* mu, std::set<std::thread::id>* s) -> task<> {
        volatile int spin = 0;
        for (int k = 0; k < 200; ++k) spin = spin + k;  // a little work per task
        std::lock_guard lock(*mu);
        s->insert(std::this_thread::get_id());
        co_return;
      }(&m, &seen)));
    }
    for (auto& h : hs) co_await h;
  };
  rt.block_on(rt.spawn(spawner()));
  EXPECT_EQ(seen.size(), 2u);  // both workers polled tasks
  EXPECT_TRUE(seen.count(spawner_thread));
}

// Two tasks spawned back to back from outside the runtime, each of which blocks
// its worker until the other has started, must run on both workers at once, also
// when one worker is spinning for foreign work (invariant 6: then the spawns wake
// nobody, and the spinner that takes both must hand one on). Prompt foreign
// round trips before each pair turn spinning on.
TEST(MultiThreadRuntime, ForeignPairSpawnedWhileAWorkerSpinsRunsInParallel) {
  runtime rt = runtime::new_multi_thread().worker_threads(2).build();
  auto rendezvous = [](std::atomic<int>* arrived) -> task<bool> {
    arrived->fetch_add(1);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (arrived->load() < 2) {
      if (std::chrono::steady_clock::now() > deadline) co_return false;
    }
    co_return true;
  };
  int parallel = 0;
  constexpr int rounds = 100;
  for (int r = 0; r < rounds; ++r) {
    for (int i = 0; i < 20; ++i) EXPECT_EQ(rt.block_on(rt.spawn(value_after_yield(i))), i);
    std::atomic<int> arrived{0};
    auto a = rt.spawn(rendezvous(&arrived));
    auto b = rt.spawn(rendezvous(&arrived));
    const bool ok_a = rt.block_on(std::move(a));
    const bool ok_b = rt.block_on(std::move(b));
    if (!ok_a || !ok_b) break;  // serialised on one worker: each waited 5 s
    ++parallel;
  }
  EXPECT_EQ(parallel, rounds);
}

TEST(MultiThreadRuntime, ThreadHooksRunOnEveryThread) {
  std::atomic<int> started{0}, stopped{0};
  {
    runtime rt = runtime::new_multi_thread()
                     .worker_threads(3)
                     .thread_name("hooked")
                     .on_thread_start([&] { started++; })
                     .on_thread_stop([&] { stopped++; })
                     .build();
    EXPECT_EQ(rt.workers(), 3u);
    EXPECT_EQ(rt.block_on(value_after_yield(1)), 1);
  }
  // Three workers and the reactor thread, all joined by the destructor.
  EXPECT_EQ(started.load(), 4);
  EXPECT_EQ(stopped.load(), 4);
}

TEST(MultiThreadRuntime, IdleWorkerDriverStartsNoReactorThread) {
  std::atomic<int> started{0}, stopped{0};
  {
    runtime rt = runtime::new_multi_thread()
                     .worker_threads(2)
                     .reactor(reactor_mode::idle_worker)
                     .on_thread_start([&] { started++; })
                     .on_thread_stop([&] { stopped++; })
                     .build();
    // A timer fires with no reactor thread: an idle worker turns the driver.
    rt.block_on(rt.spawn([]() -> task<> { co_await sleep_for(std::chrono::milliseconds(2)); }()));
  }
  EXPECT_EQ(started.load(), 2);
  EXPECT_EQ(stopped.load(), 2);
}

TEST(MultiThreadRuntime, IdleWorkerDriverFiresTimersWhileAWorkerIsBusy) {
  // One worker spins until a timer task (on the other worker or the driver's
  // holder) has fired: the driver must be turned by the idle worker, or by the
  // busy one's periodic poll.
  runtime rt =
      runtime::new_multi_thread().worker_threads(2).reactor(reactor_mode::idle_worker).build();
  auto main = []() -> task<bool> {
    std::atomic<bool> fired{false};
    auto timer = spawn([](std::atomic<bool>* f) -> task<> {
      co_await sleep_for(std::chrono::milliseconds(1));
      f->store(true, std::memory_order_release);
    }(&fired));
    // Bounded: a driver nobody turns leaves `fired` false after 5 s.
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!fired.load(std::memory_order_acquire) && std::chrono::steady_clock::now() < give_up)
      co_await yield_now();
    bool ok = fired.load(std::memory_order_acquire);
    co_await timer;
    co_return ok;
  };
  EXPECT_TRUE(rt.block_on(rt.spawn(main())));
}

TEST(MultiThreadRuntime, PingPongAcrossWorkersThroughJoinHandles) {
  runtime rt = runtime::new_multi_thread().worker_threads(2).build();
  auto main = []() -> task<int> {
    int v = 0;
    for (int i = 0; i < 2'000; ++i) v = co_await spawn(value_after_yield(v + 1));
    co_return v;
  };
  EXPECT_EQ(rt.block_on(rt.spawn(main())), 2'000);
}

TEST(MultiThreadRuntime, SpawnedCellsKeepTheRuntimeAliveUntilTheLastIsFreed) {
  // Workers fund their spawns' references from a per-worker reserve and take
  // back those of cells freed on them; the runtime's core must still be
  // destroyed exactly when its last cell is. The core's options own the
  // on_thread_stop function, so `alive` expires when the core is destroyed.
  auto token = std::make_shared<int>(0);
  std::weak_ptr<int> alive = token;
  std::vector<join_handle<int>> kept;
  {
    runtime rt = runtime::new_multi_thread()
                     .worker_threads(2)
                     .on_thread_stop([token] { (void)token; })
                     .build();
    token.reset();
    // 5,000 spawns from a worker (several reserve refills), half of them joined
    // and freed on whichever worker runs the joiner (several give-backs past
    // the reserve's bound), the other half's handles kept past the runtime.
    auto main = []() -> task<std::vector<join_handle<int>>> {
      std::vector<join_handle<int>> hs;
      for (int i = 0; i < 5'000; ++i) hs.push_back(spawn(value_after_yield(i)));
      std::vector<join_handle<int>> rest;
      long sum = 0;
      for (int i = 0; i < 5'000; ++i) {
        if (i % 2 == 0) {
          sum += co_await hs[static_cast<std::size_t>(i)];
        } else {
          rest.push_back(std::move(hs[static_cast<std::size_t>(i)]));
        }
      }
      EXPECT_EQ(sum, 2'500L * 4'998 / 2);  // 0 + 2 + ... + 4998
      co_return rest;
    };
    kept = rt.block_on(rt.spawn(main()));
    ASSERT_EQ(kept.size(), 2'500u);
  }
  // The runtime is gone (its threads joined) but 2,500 cells still live.
  EXPECT_FALSE(alive.expired());
  kept.resize(1);  // freed on this thread, not a worker
  EXPECT_FALSE(alive.expired());
  kept.clear();
  EXPECT_TRUE(alive.expired());
}

}  // namespace
}  // namespace eddy
