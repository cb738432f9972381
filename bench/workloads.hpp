// workloads.hpp: the runtime micro benchmarks, doing the same work as the Tokio
// and Asio peers in ../shared/peers/runtime (see its RESULTS.md): each returns
// the elapsed nanoseconds of `n` operations, measured after a fixed warm-up,
// inside a task of the runtime under test.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include <eddy/runtime.hpp>

namespace eddy::bench {

using clock = std::chrono::steady_clock;

inline std::int64_t elapsed_ns(clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - t0).count();
}

/// Keeps a value alive so the optimiser cannot drop the work that made it.
template <class T>
inline void consume(const T& v) {
  asm volatile("" : : "r,m"(v) : "memory");
}

inline constexpr std::uint64_t batch = 1000;

inline task<std::uint64_t> trivial(std::uint64_t v) { co_return v; }

inline task<std::uint64_t> spawn_join_run(std::uint64_t n) {
  std::vector<join_handle<std::uint64_t>> handles;
  handles.reserve(batch);
  std::uint64_t sum = 0;
  for (std::uint64_t i = 0; i < n;) {
    std::uint64_t b = std::min(batch, n - i);
    for (std::uint64_t j = 0; j < b; ++j) handles.push_back(spawn(trivial(i + j)));
    for (auto& h : handles) sum += co_await h;
    handles.clear();
    i += b;
  }
  co_return sum;
}

/// spawn_join: spawn 1000 trivial tasks, await each handle, repeat.
inline task<std::int64_t> spawn_join(std::uint64_t n) {
  consume(co_await spawn_join_run(10'000));  // warm-up (fixed size)
  auto t0 = clock::now();
  consume(co_await spawn_join_run(n));
  co_return elapsed_ns(t0);
}

/// yield: one task yields n times.
inline task<std::int64_t> yield(std::uint64_t n) {
  for (int i = 0; i < 10'000; ++i) co_await yield_now();
  auto t0 = clock::now();
  for (std::uint64_t i = 0; i < n; ++i) co_await yield_now();
  co_return elapsed_ns(t0);
}

/// Runs `bench(n)` inside a spawned task (as the peers do) on a current-thread
/// executor; returns the elapsed nanoseconds it measured.
template <class Bench>
std::int64_t run_current_thread(Bench bench, std::uint64_t n) {
  current_thread_executor ex;
  return ex.block_on(ex.spawn(bench(n)));
}

}  // namespace eddy::bench
