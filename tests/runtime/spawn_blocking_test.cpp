#include <eddy/runtime.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace eddy {
namespace {

TEST(SpawnBlocking, ReturnsValueAndRethrows) {
  auto main = []() -> task<int> {
    int v = co_await spawn_blocking([] { return 20; });
    try {
      co_await spawn_blocking([]() -> int { throw std::runtime_error("blocking failed"); });
    } catch (const std::runtime_error&) {
      v += 1;
    }
    co_await spawn_blocking([] {});
    co_return v;
  };
  EXPECT_EQ(block_on(main()), 21);
}

// More blocking jobs than threads: all finish, and the pool never runs more jobs
// at once than its limit. The jobs block on a gate until all of them are queued.
TEST(SpawnBlocking, SaturationQueuesJobsWithinTheThreadLimit) {
  configure_blocking_pool({.max_threads = 3, .keep_alive = std::chrono::milliseconds(200)});
  std::mutex m;
  std::condition_variable cv;
  bool open = false;
  std::atomic<int> running{0}, peak{0}, done{0};
  auto main = [&]() -> task<int> {
    std::vector<blocking_handle<int>> hs;
    for (int i = 0; i < 20; ++i) {
      hs.push_back(spawn_blocking([&, i] {
        int now = running.fetch_add(1) + 1;
        int p = peak.load();
        while (now > p && !peak.compare_exchange_weak(p, now)) {
        }
        {
          std::unique_lock lock(m);
          cv.wait(lock, [&] { return open; });
        }
        running.fetch_sub(1);
        done.fetch_add(1);
        return i;
      }));
    }
    {
      std::lock_guard lock(m);
      open = true;
    }
    cv.notify_all();
    int sum = 0;
    for (auto& h : hs) sum += co_await h;
    co_return sum;
  };
  EXPECT_EQ(block_on(main()), 190);
  EXPECT_EQ(done.load(), 20);
  EXPECT_LE(peak.load(), 3);
  EXPECT_LE(blocking_pool_threads(), 3u);
  configure_blocking_pool({});
}

TEST(SpawnBlocking, WorksOnTheMultiThreadRuntime) {
  runtime rt = runtime::new_multi_thread().worker_threads(2).build();
  int v = rt.block_on(rt.spawn([]() -> task<int> {
    int a = co_await spawn_blocking([] { return 1; });
    int b = co_await spawn_blocking([] { return 2; });
    co_return a + b;
  }()));
  EXPECT_EQ(v, 3);
}

}  // namespace
}  // namespace eddy
