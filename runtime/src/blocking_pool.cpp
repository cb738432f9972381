// blocking_pool.cpp: the process-wide pool behind spawn_blocking.
//
// Invariants (mutex_ guards every field):
//   1. idle_ counts the threads blocked waiting for a job; each thread counts
//      itself. A submit wakes one if the idle threads outnumber the queued jobs,
//      else starts a thread while threads_ < max_threads; busy threads look for
//      the next job before they idle, so every queued job is taken.
//   2. A thread exits only when it timed out with no job queued, or when the pool
//      is above a lowered limit.
// The pool is never destroyed (threads are detached and may outlive main), so it
// is allocated once and left for the process to reclaim.
#include <eddy/spawn_blocking.hpp>

#include <condition_variable>
#include <deque>
#include <thread>

namespace eddy {
namespace {

class blocking_pool {
 public:
  void submit(std::function<void()> job) {
    bool start = false;
    {
      std::lock_guard lock(mutex_);
      jobs_.push_back(std::move(job));
      if (idle_ >= jobs_.size()) {
        cv_.notify_one();  // invariant 1
      } else if (threads_ < opts_.max_threads) {
        ++threads_;
        start = true;
      }
    }
    if (start) std::thread([this] { run(); }).detach();
  }

  void configure(const blocking_pool_options& opts) {
    std::lock_guard lock(mutex_);
    opts_ = opts;
    if (opts_.max_threads == 0) opts_.max_threads = 1;
    cv_.notify_all();
  }

  std::size_t threads() {
    std::lock_guard lock(mutex_);
    return threads_;
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      if (!jobs_.empty()) {
        auto job = std::move(jobs_.front());
        jobs_.pop_front();
        lock.unlock();
        job();
        job = nullptr;  // destroy captures outside the lock
        lock.lock();
        continue;
      }
      if (threads_ > opts_.max_threads) break;  // shrink to a lowered limit
      ++idle_;
      bool got_job = cv_.wait_for(lock, opts_.keep_alive, [&] { return !jobs_.empty(); });
      --idle_;
      if (!got_job) break;  // idle for keep_alive: shrink (invariant 2)
    }
    --threads_;
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::size_t threads_ = 0;
  std::size_t idle_ = 0;
  blocking_pool_options opts_;
};

blocking_pool& pool() {
  static blocking_pool* p = new blocking_pool;  // never destroyed, see above
  return *p;
}

}  // namespace

void configure_blocking_pool(const blocking_pool_options& opts) { pool().configure(opts); }
std::size_t blocking_pool_threads() noexcept { return pool().threads(); }

namespace detail {
void submit_blocking(std::function<void()> job) { pool().submit(std::move(job)); }
}  // namespace detail

}  // namespace eddy
