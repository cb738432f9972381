#include <eddy/runtime.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "test_futures.hpp"

namespace eddy {
namespace {

TEST(Executor, SpawnAndJoinReturnsValue) {
  auto main = []() -> task<int> {
    auto child = []() -> task<int> { co_return 5; };
    join_handle<int> h = spawn(child());
    co_return co_await h + 1;
  };
  EXPECT_EQ(block_on(main()), 6);
}

TEST(Executor, ExceptionReachesJoinHandle) {
  auto main = []() -> task<std::string> {
    auto child = []() -> task<int> {
      co_await yield_now();
      throw std::runtime_error("child failed");
    };
    auto h = spawn(child());
    try {
      co_await h;
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
    co_return "no exception";
  };
  EXPECT_EQ(block_on(main()), "child failed");
}

struct destructor_counter {
  int* count;
  explicit destructor_counter(int* c) : count(c) {}
  destructor_counter(const destructor_counter&) = delete;
  ~destructor_counter() { ++*count; }
};

TEST(Executor, AbortRunsDestructorsOfLocalsAndJoinReportsCancelled) {
  int destroyed = 0;
  test::manual_event never;
  bool cancelled = false;
  auto main = [&]() -> task<> {
    auto victim = [](int* d, test::manual_event* ev) -> task<int> {
      destructor_counter a(d);
      destructor_counter b(d);
      co_await ev->wait();
      co_return 1;
    };
    auto h = spawn(victim(&destroyed, &never));
    co_await yield_now();  // let it reach its suspension point
    h.abort();
    try {
      co_await h;
    } catch (const task_cancelled&) {
      cancelled = true;
    }
    co_return;
  };
  block_on(main());
  EXPECT_TRUE(cancelled);
  EXPECT_EQ(destroyed, 2);
  EXPECT_EQ(never.polls, 1);
}

TEST(Executor, AbortBeforeFirstPollNeverRunsBody) {
  int ran = 0;
  auto main = [&]() -> task<bool> {
    auto body = [](int* r) -> task<> {
      ++*r;
      co_return;
    };
    auto h = spawn(body(&ran));
    h.abort();
    try {
      co_await h;
    } catch (const task_cancelled& e) {
      co_return e.code() == errc::cancelled;
    }
    co_return false;
  };
  EXPECT_TRUE(block_on(main()));
  EXPECT_EQ(ran, 0);
}

TEST(Executor, AbortAfterCompletionKeepsValue) {
  auto main = []() -> task<int> {
    auto h = spawn([]() -> task<int> { co_return 3; }());
    co_await yield_now();
    co_await yield_now();
    EXPECT_TRUE(h.is_finished());
    h.abort();
    co_return co_await h;
  };
  EXPECT_EQ(block_on(main()), 3);
}

// A task woken 1000 times before it runs is queued once and polled once.
TEST(Executor, ManyWakesBeforeRunPollOnce) {
  test::manual_event ev;
  int polls_after = 0;
  auto main = [&]() -> task<> {
    auto waiter = [](test::manual_event* e, int* after) -> task<> {
      co_await e->wait();
      ++*after;
    };
    auto h = spawn(waiter(&ev, &polls_after));
    co_await yield_now();  // waiter suspends on the event
    EXPECT_EQ(ev.polls, 1);
    ev.set = true;
    for (int i = 0; i < 1000; ++i) ev.stored.wake_by_ref();
    co_await h;
  };
  block_on(main());
  EXPECT_EQ(ev.polls, 2);
  EXPECT_EQ(polls_after, 1);
}

TEST(Executor, WakeAfterCompletionIsNoop) {
  waker kept;
  auto main = [&]() -> task<> {
    struct grab {
      waker* out;
      polled<void> poll(context& cx) {
        *out = cx.waker();
        return ready();
      }
    };
    auto h = spawn([](waker* out) -> task<> { co_await grab{out}; }(&kept));
    co_await h;
    kept.wake_by_ref();  // the task is complete: nothing is queued or polled
    kept.wake_by_ref();
    co_await yield_now();
  };
  block_on(main());
  kept.wake_by_ref();
  waker copy = kept;
  std::move(copy).wake();
  kept.reset();  // last reference: the cell is freed (ASan checks)
}

// Eight threads wake one task at once, many times: no wake is lost (the task
// sees the final counter value) and the task never runs twice at once.
TEST(Executor, WakesFromEightThreadsLoseNone) {
  constexpr int threads = 8;
  constexpr int per_thread = 20'000;
  std::atomic<int> produced{0};
  std::atomic<waker*> shared{nullptr};

  struct until_count {
    std::atomic<int>* produced;
    waker* slot;
    std::atomic<waker*>* shared;
    int target;
    polled<void> poll(context& cx) {
      if (!shared->load()) {
        *slot = cx.waker();
        shared->store(slot);
      }
      // The waker never changes for one task; it is set before publication.
      if (produced->load(std::memory_order_acquire) >= target) return ready();
      return pending;
    }
  };

  waker slot;
  auto main = [&]() -> task<int> {
    co_await until_count{&produced, &slot, &shared, threads * per_thread};
    co_return produced.load();
  };

  std::vector<std::thread> workers;
  for (int i = 0; i < threads; ++i) {
    workers.emplace_back([&] {
      while (!shared.load()) std::this_thread::yield();
      waker w = *shared.load();  // each thread clones its own reference
      for (int j = 0; j < per_thread; ++j) {
        produced.fetch_add(1, std::memory_order_release);
        w.wake_by_ref();
      }
    });
  }
  current_thread_executor ex;
  auto h = ex.spawn(main());
  int result = ex.block_on(std::move(h));
  for (auto& t : workers) t.join();
  slot.reset();
  EXPECT_EQ(result, threads * per_thread);
}

TEST(Executor, YieldNowInterleavesTasksInTurn) {
  std::vector<int> order;
  auto main = [&]() -> task<> {
    auto worker = [](std::vector<int>* out, int id) -> task<> {
      for (int i = 0; i < 3; ++i) {
        out->push_back(id);
        co_await yield_now();
      }
    };
    auto a = spawn(worker(&order, 1));
    auto b = spawn(worker(&order, 2));
    co_await a;
    co_await b;
  };
  block_on(main());
  EXPECT_EQ(order, (std::vector<int>{1, 2, 1, 2, 1, 2}));
}

TEST(Executor, DetachedTaskExceptionIsReportedAndRuntimeGoesOn) {
  testing::internal::CaptureStderr();
  auto main = []() -> task<int> {
    spawn([]() -> task<> {
      throw std::runtime_error("detached boom");
      co_return;
    }())
        .detach();
    co_await yield_now();
    co_await yield_now();
    co_return 9;
  };
  int v = block_on(main());
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(v, 9);
  EXPECT_NE(err.find("detached boom"), std::string::npos) << err;
}

TEST(Executor, SpawnOutsideRuntimeIsAnError) {
  try {
    (void)spawn([]() -> task<> { co_return; }());
    FAIL() << "spawn outside a runtime did not throw";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), errc::no_runtime);
  }
}

TEST(Executor, BlockOnInsideOwnTaskIsAnError) {
  current_thread_executor ex;
  bool threw = false;
  auto main = [&]() -> task<> {
    try {
      ex.block_on([]() -> task<> { co_return; }());
    } catch (const std::logic_error&) {
      threw = true;
    }
    co_return;
  };
  ex.block_on(main());
  EXPECT_TRUE(threw);
}

TEST(Executor, ShutdownCancelsPendingTasksAndRunsDestructors) {
  int destroyed = 0;
  test::manual_event never;
  join_handle<int> survivor;
  {
    current_thread_executor ex;
    auto sleeper = [](int* d, test::manual_event* ev) -> task<int> {
      destructor_counter c(d);
      co_await ev->wait();
      co_return 1;
    };
    ex.spawn(sleeper(&destroyed, &never)).detach();
    survivor = ex.spawn(sleeper(&destroyed, &never));
    ex.block_on(yield_now());
    EXPECT_EQ(never.polls, 2);
  }
  EXPECT_EQ(destroyed, 2);
  EXPECT_TRUE(survivor.is_finished());
  // The handle outlives its executor: awaiting it reports the cancellation.
  bool cancelled = false;
  try {
    block_on(std::move(survivor));
  } catch (const task_cancelled&) {
    cancelled = true;
  }
  EXPECT_TRUE(cancelled);
  never.stored.reset();
}

TEST(Executor, SpawnFromAnotherThreadRuns) {
  current_thread_executor ex;
  join_handle<int> h;
  std::thread t([&] { h = ex.spawn([]() -> task<int> { co_return 11; }()); });
  t.join();
  EXPECT_EQ(ex.block_on(std::move(h)), 11);
}

TEST(Executor, WakeFromAnotherThreadUnparksIdleExecutor) {
  std::atomic<bool> set{false};
  std::atomic<bool> registered{false};
  waker stored;
  struct flag_future {
    std::atomic<bool>* set;
    std::atomic<bool>* registered;
    waker* stored;
    polled<void> poll(context& cx) {
      if (set->load()) return ready();
      if (!registered->load()) {
        *stored = cx.waker();
        registered->store(true);
      }
      return pending;
    }
  };
  std::thread t([&] {
    while (!registered.load()) std::this_thread::yield();
    set.store(true);
    stored.wake_by_ref();
  });
  block_on(flag_future{&set, &registered, &stored});
  t.join();
  stored.reset();
  EXPECT_TRUE(set.load());
}

}  // namespace
}  // namespace eddy
