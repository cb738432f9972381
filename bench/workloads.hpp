// workloads.hpp: the runtime micro benchmarks, doing the same work as the Tokio
// and Asio peers in ../shared/peers/runtime (see its RESULTS.md): each returns
// the elapsed nanoseconds of `n` operations, measured after a fixed warm-up,
// inside a task of the runtime under test.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include <condition_variable>
#include <mutex>
#include <thread>

#include <eddy/runtime.hpp>
#include <eddy/sync/mpsc.hpp>
#include <eddy/sync/oneshot.hpp>
#include <eddy/timer.hpp>

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

/// xorshift64*: the same generator and seeds as the peers.
class rng {
 public:
  explicit rng(std::uint64_t seed) : x_(seed ^ 0x9E3779B97F4A7C15ull) {}
  std::uint64_t next() {
    x_ ^= x_ >> 12;
    x_ ^= x_ << 25;
    x_ ^= x_ >> 27;
    return x_ * 0x2545F4914F6CDD1Dull;
  }

 private:
  std::uint64_t x_;
};

/// A field of /proc/self/status in kB (VmRSS, VmHWM).
inline long proc_status_kb(const char* field) {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  long kb = 0;
  std::size_t len = std::strlen(field);
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, field, len) == 0 && line[len] == ':') {
      kb = std::strtol(line + len + 1, nullptr, 10);
      break;
    }
  }
  std::fclose(f);
  return kb;
}

/// Extra figures a workload reports next to ns_per_op ("key=value ..."). Not
/// thread_local: on the multi-thread runtime the workload runs on a worker and
/// main() prints it (block_on's join orders the write before the read).
inline std::string extra;

/// timer: 1M live sleeps (deadlines uniform over 0-10 s) registered by one poll
/// each, in place in a pre-sized, pre-touched vector, then all dropped. A 1 ms
/// sentinel registered first keeps the inserts off the earliest deadline.
inline task<std::int64_t> timer(std::uint64_t n) {
  waker noop = noop_waker();
  context cx(noop);
  auto sentinel = sleep_for(std::chrono::milliseconds(1));
  (void)sentinel.poll(cx);
  co_await yield_now();  // the driver parks once with the sentinel armed
  rng r(1);
  std::vector<std::optional<sleep_future>> v(n);
  auto t0 = clock::now();
  auto now = timer::now();
  for (auto& slot : v) {
    slot.emplace(sleep_until(now + std::chrono::microseconds(r.next() % 10'000'001)));
    (void)slot->poll(cx);
  }
  std::int64_t insert = elapsed_ns(t0);
  auto t1 = clock::now();
  v.clear();
  std::int64_t cancel = elapsed_ns(t1);
  extra = "insert_ns=" + std::to_string(double(insert) / double(n)) +
          " cancel_ns=" + std::to_string(double(cancel) / double(n)) +
          " timer_obj_bytes=" + std::to_string(sizeof(sleep_future));
  co_return insert + cancel;
}

/// Counts finished sleepers; the last one wakes the waiting benchmark task.
/// Thread-safe (sleepers may finish on any worker); only the last one locks.
struct countdown {
  std::atomic<std::uint64_t> remaining;
  std::mutex m;
  waker waiter;
  void done_one() {
    if (remaining.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    std::lock_guard lock(m);
    waiter.wake_by_ref();
  }
  struct wait_future {
    countdown* c;
    polled<void> poll(context& cx) {
      std::lock_guard lock(c->m);
      if (c->remaining.load(std::memory_order_acquire) == 0) return ready();
      c->waiter = cx.waker();
      return pending;
    }
  };
};

inline task<> sleeper(std::chrono::milliseconds d, countdown* c) {
  co_await sleep_for(d);
  c->done_one();
}

/// many_sleepers: spawn n tasks that each sleep 0-1000 ms then count down; the
/// memory figure is the peak RSS growth per task.
inline task<std::int64_t> many_sleepers(std::uint64_t n) {
  countdown c;
  c.remaining = n;
  rng r(2);
  long rss0 = proc_status_kb("VmRSS");
  auto t0 = clock::now();
  for (std::uint64_t i = 0; i < n; ++i)
    spawn(sleeper(std::chrono::milliseconds(r.next() % 1001), &c)).detach();
  std::int64_t spawn_ns = elapsed_ns(t0);
  co_await countdown::wait_future{&c};
  std::int64_t wall = elapsed_ns(t0);
  c.waiter.reset();
  long hwm = proc_status_kb("VmHWM");
  extra = "wall_ms=" + std::to_string(double(wall) / 1e6) +
          " spawn_ns=" + std::to_string(double(spawn_ns) / double(n)) +
          " rss_before_kb=" + std::to_string(rss0) + " hwm_kb=" + std::to_string(hwm) +
          " bytes_per_task=" + std::to_string(double(hwm - rss0) * 1024.0 / double(n));
  co_return wall;
}

/// ping_pong: two tasks, two bounded(1) channels; one round trip = two hops.
inline task<std::int64_t> ping_pong(std::uint64_t n) {
  auto [tx1, rx1] = sync::mpsc::channel<std::uint64_t>(1);
  auto [tx2, rx2] = sync::mpsc::channel<std::uint64_t>(1);
  auto ponger = spawn(
      [](sync::mpsc::receiver<std::uint64_t> rx, sync::mpsc::sender<std::uint64_t> tx) -> task<> {
        while (auto v = co_await rx.recv()) {
          if (!co_await tx.send(*v + 1)) break;
        }
      }(std::move(rx1), std::move(tx2)));
  std::uint64_t v = 0;
  for (int i = 0; i < 10'000; ++i) {
    (void)co_await tx1.send(v);
    v = *co_await rx2.recv();
  }
  auto t0 = clock::now();
  for (std::uint64_t i = 0; i < n; ++i) {
    (void)co_await tx1.send(v);
    v = *co_await rx2.recv();
  }
  std::int64_t ns = elapsed_ns(t0);
  consume(v);
  { auto closing = std::move(tx1); }
  co_await ponger;
  co_return ns;
}

/// A mutex + condvar mailbox to a plain std::thread (the same blocking handoff
/// as the peers' harness: the thread sleeps in the kernel, no spinning).
struct mailbox {
  std::mutex m;
  std::condition_variable cv;
  std::optional<sync::oneshot::sender<std::uint64_t>> slot;
  bool stop = false;
};

/// cross_thread_wake: the task hands a oneshot sender to the thread and awaits
/// the receiver; the thread sends from outside the runtime.
inline task<std::int64_t> cross_thread_wake(std::uint64_t n) {
  mailbox mb;
  std::thread replier([&mb] {
    std::uint64_t k = 0;
    for (;;) {
      std::optional<sync::oneshot::sender<std::uint64_t>> tx;
      {
        std::unique_lock lock(mb.m);
        mb.cv.wait(lock, [&] { return mb.slot || mb.stop; });
        if (!mb.slot) return;
        tx = std::move(mb.slot);
        mb.slot.reset();
      }
      (void)tx->send(k++);
    }
  });
  auto round_trip = [&mb]() -> task<std::uint64_t> {
    auto [tx, rx] = sync::oneshot::channel<std::uint64_t>();
    {
      std::lock_guard lock(mb.m);
      mb.slot.emplace(std::move(tx));
    }
    mb.cv.notify_one();
    auto r = co_await rx;
    co_return r ? *r : 0;
  };
  for (int i = 0; i < 1'000; ++i) consume(co_await round_trip());
  auto t0 = clock::now();
  for (std::uint64_t i = 0; i < n; ++i) consume(co_await round_trip());
  std::int64_t ns = elapsed_ns(t0);
  {
    std::lock_guard lock(mb.m);
    mb.stop = true;
  }
  mb.cv.notify_one();
  replier.join();
  co_return ns;
}

/// Runs `bench(n)` inside a spawned task (as the peers do) on a current-thread
/// executor; returns the elapsed nanoseconds it measured.
template <class Bench>
std::int64_t run_current_thread(Bench bench, std::uint64_t n) {
  current_thread_executor ex;
  return ex.block_on(ex.spawn(bench(n)));
}

/// The same on a multi-thread runtime with `workers` workers.
template <class Bench>
std::int64_t run_multi_thread(Bench bench, std::uint64_t n, unsigned workers = 2,
                              reactor_mode mode = reactor_mode::dedicated_thread) {
  runtime rt = runtime::new_multi_thread().worker_threads(workers).reactor(mode).build();
  return rt.block_on(rt.spawn(bench(n)));
}

}  // namespace eddy::bench
