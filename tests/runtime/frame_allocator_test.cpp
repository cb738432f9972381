#include <eddy/runtime.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <thread>
#include <utility>
#include <vector>

// Counts every global allocation of this test binary (all threads). Not under
// AddressSanitizer, which owns operator new (and disables the frame pool anyway).
namespace {
std::atomic<long> g_allocations{0};
}

#if defined(__SANITIZE_ADDRESS__)
#define EDDY_TEST_POOL_ENABLED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EDDY_TEST_POOL_ENABLED 0
#endif
#endif
#ifndef EDDY_TEST_POOL_ENABLED
#define EDDY_TEST_POOL_ENABLED 1
#endif

#if EDDY_TEST_POOL_ENABLED
#if defined(__GNUC__) && !defined(__clang__)
// GCC pairs the malloc inside operator new with gtest's delete expressions.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif

namespace eddy {
namespace {

constexpr bool pool_enabled = EDDY_TEST_POOL_ENABLED != 0;

task<int> trivial(int v) { co_return v; }

task<long> spawn_batches(int batches, int per_batch, long* allocs_in_last_batch) {
  long sum = 0;
  std::vector<join_handle<int>> handles;
  handles.reserve(per_batch);
  for (int b = 0; b < batches; ++b) {
    long before = g_allocations.load();
    for (int i = 0; i < per_batch; ++i) handles.push_back(spawn(trivial(i)));
    for (auto& h : handles) sum += co_await h;
    handles.clear();
    *allocs_in_last_batch = g_allocations.load() - before;
  }
  co_return sum;
}

// Steady state: once the first batch has warmed the frame pool, spawning and
// joining another 1000 tasks allocates nothing from the heap.
TEST(FrameAllocator, SteadyStateSpawnDoesNotAllocate) {
  if (!pool_enabled) GTEST_SKIP() << "the frame pool is disabled under AddressSanitizer";
  long last = -1;
  long sum = block_on(spawn_batches(5, 1000, &last));
  EXPECT_EQ(sum, 5L * (999L * 1000 / 2));
  EXPECT_EQ(last, 0);
}

TEST(FrameAllocator, ReusesFreedBlocksOfTheSameClass) {
  if (!pool_enabled) GTEST_SKIP() << "the frame pool is disabled under AddressSanitizer";
  void* a = detail::frame_alloc(100);
  detail::frame_free(a, 100);
  void* b = detail::frame_alloc(97);  // same 16-byte class
  EXPECT_EQ(a, b);
  detail::frame_free(b, 97);
  void* big = detail::frame_alloc(4096);  // above the pooled sizes
  detail::frame_free(big, 4096);
}

TEST(FrameAllocator, CellsTakeEightByteClassesAndFramesStaySixteenAligned) {
  if (!pool_enabled) GTEST_SKIP() << "the frame pool is disabled under AddressSanitizer";
  // What many_sleepers relies on: a cell is 104 bytes (header 64 + task 40).
  static_assert(sizeof(detail::task_header) == 64);
  static_assert(sizeof(detail::task_cell<void>) == sizeof(detail::task_header) + sizeof(task<>));
  // Interleave cells of an odd multiple of 8 with frames, as spawn does: every
  // frame stays 16-byte aligned, cells 8-byte aligned, and no blocks overlap.
  std::vector<void*> frames, cells;
  for (int i = 0; i < 2000; ++i) {
    frames.push_back(detail::frame_alloc(144));
    cells.push_back(detail::cell_alloc(104));
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(frames.back()) % 16, 0u);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(cells.back()) % detail::cell_align, 0u);
  }
  // No two blocks overlap: 104-byte cells carved in pairs do not collide.
  std::vector<std::pair<char*, std::size_t>> all;
  for (void* f : frames) all.emplace_back(static_cast<char*>(f), 144);
  for (void* x : cells) all.emplace_back(static_cast<char*>(x), 104);
  std::sort(all.begin(), all.end());
  for (std::size_t i = 1; i < all.size(); ++i) {
    ASSERT_LE(all[i - 1].first + all[i - 1].second, all[i].first);
  }
  // A freed cell block is reused by the next cell of its class.
  void* c = cells.back();
  cells.pop_back();
  detail::cell_free(c, 104);
  void* again = detail::cell_alloc(100);  // rounds to the same 8-byte class
  EXPECT_EQ(again, c);
  cells.push_back(again);
  for (void* f : frames) detail::frame_free(f, 144);
  for (void* x : cells) detail::cell_free(x, 104);
}

// One thread allocates, another frees (a multi-thread runtime that spawns on one
// worker and completes on another): the freed blocks must flow back through the
// depot, not pile up on the freeing thread while the allocating one carves new
// chunks forever. Both threads live throughout (a thread's exit would hand its
// lists to the depot and hide the problem).
TEST(FrameAllocator, BlocksFreedOnAnotherThreadComeBack) {
  if (!pool_enabled) GTEST_SKIP() << "the frame pool is disabled under AddressSanitizer";
  constexpr int rounds = 60;
  constexpr int per_round = 3000;
  std::mutex m;
  std::condition_variable cv;
  std::vector<void*> handoff;
  bool stop = false;
  std::thread freer([&] {
    std::unique_lock lock(m);
    for (;;) {
      cv.wait(lock, [&] { return !handoff.empty() || stop; });
      if (handoff.empty()) return;
      for (void* p : handoff) detail::cell_free(p, 104);
      handoff.clear();
      cv.notify_all();
    }
  });
  std::vector<void*> batch;
  batch.reserve(per_round);
  long late_allocations = 0;
  for (int r = 0; r < rounds; ++r) {
    const long before = g_allocations.load();
    for (int i = 0; i < per_round; ++i) batch.push_back(detail::cell_alloc(104));
    if (r >= rounds / 2) late_allocations += g_allocations.load() - before;
    std::unique_lock lock(m);
    handoff.swap(batch);
    cv.notify_all();
    cv.wait(lock, [&] { return handoff.empty(); });
  }
  {
    std::lock_guard lock(m);
    stop = true;
  }
  cv.notify_all();
  freer.join();
  // 3000 cells are ~5 chunks; without the flow back every round carves them anew.
  EXPECT_EQ(late_allocations, 0);
}

struct alignas(16) wide {
  long a, b;
};

task<wide> make_wide(long a) { co_return wide{a, a + 1}; }

task<long> join_wides(int n) {
  std::vector<join_handle<wide>> handles;
  for (int i = 0; i < n; ++i) handles.push_back(spawn(make_wide(i)));
  long sum = 0;
  for (auto& h : handles) {
    wide w = co_await h;
    sum += w.a + w.b;
  }
  co_return sum;
}

TEST(FrameAllocator, OverAlignedOutputsStillWork) {
  // A cell whose output needs 16-byte alignment cannot use the 8-byte classes; it
  // takes frame_alloc's 16-byte aligned blocks, and its outputs arrive intact.
  static_assert(alignof(detail::task_cell<wide>) > detail::cell_align);
  EXPECT_EQ(block_on(join_wides(100)), 100L * 100);  // sum of (2i + 1)
}

}  // namespace
}  // namespace eddy
