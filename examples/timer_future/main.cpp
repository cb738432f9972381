// timer_future: the seeds' TimerFuture as an eddy leaf future. A thread sleeps,
// sets `completed`, and wakes the waker the future stored; a task awaits it under
// block_on. The second half drives the same future with a custom waker vtable: a
// different wake-up strategy (a counting semaphore) instead of an executor.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <semaphore>
#include <thread>

#include <eddy/runtime.hpp>

using namespace std::chrono_literals;

// State shared between the future and its timer thread.
struct shared_state {
  std::mutex mutex;
  bool completed = false;
  eddy::waker waker;  // the task to wake when the timer fires
};

class timer_future {
 public:
  explicit timer_future(std::chrono::milliseconds d) : state_(std::make_shared<shared_state>()) {
    thread_ = std::thread([state = state_, d] {
      std::this_thread::sleep_for(d);
      eddy::waker w;
      {
        std::lock_guard lock(state->mutex);
        state->completed = true;
        w = std::move(state->waker);
      }
      std::move(w).wake();  // wake outside the lock
    });
  }
  timer_future(timer_future&&) = default;
  ~timer_future() {
    if (thread_.joinable()) thread_.join();
  }

  eddy::polled<void> poll(eddy::context& cx) {
    std::lock_guard lock(state_->mutex);
    if (state_->completed) return eddy::ready();
    // Store (or refresh) the waker of whichever task polls us now.
    if (!state_->waker.will_wake(cx.waker())) state_->waker = cx.waker();
    return eddy::pending;
  }

 private:
  std::shared_ptr<shared_state> state_;
  std::thread thread_;
};

eddy::task<int> wait_twice() {
  auto t0 = std::chrono::steady_clock::now();
  co_await timer_future(100ms);
  co_await timer_future(50ms);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  co_return static_cast<int>(ms.count());
}

// A custom wake-up strategy: waking releases a semaphore the main thread waits on.
// The vtable is all it takes; no executor is involved.
struct semaphore_waker {
  std::counting_semaphore<> sem{0};
  std::atomic<int> refs{1};

  static eddy::raw_waker clone(void* p) {
    static_cast<semaphore_waker*>(p)->refs++;
    return {p, &vtable};
  }
  static void wake(void* p) {
    wake_by_ref(p);
    drop(p);
  }
  static void wake_by_ref(void* p) { static_cast<semaphore_waker*>(p)->sem.release(); }
  static void drop(void* p) { static_cast<semaphore_waker*>(p)->refs--; }
  static constexpr eddy::waker_vtable vtable{clone, wake, wake_by_ref, drop};
};

int main() {
  int elapsed = eddy::block_on(wait_twice());
  std::printf("block_on: two timers done after %d ms\n", elapsed);

  semaphore_waker sw;
  {
    eddy::waker w(&sw, &semaphore_waker::vtable);
    eddy::context cx(w);
    timer_future f(20ms);
    int polls = 1;
    while (f.poll(cx).is_pending()) {
      sw.sem.acquire();  // sleep until the future wakes us
      ++polls;
    }
    std::printf("custom waker: ready after %d polls\n", polls);
  }
  std::printf("custom waker: references left %d\n", sw.refs.load());
  return sw.refs.load() == 0 ? 0 : 1;
}
