#include <eddy/detail/current_thread_core.hpp>

#include <chrono>
#include <stdexcept>

#include <eddy/executor.hpp>

#include "runtime/src/current.hpp"
#include "runtime/src/task_run.hpp"

namespace eddy::detail {

namespace {

// The main future's waker: holds a reference on the core (invariant 4).
raw_waker main_clone(void* p);
void main_wake_by_ref(void* p) { static_cast<current_thread_core*>(p)->wake_main(); }
void main_drop(void* p) { static_cast<current_thread_core*>(p)->unref(); }
void main_wake(void* p) {
  main_wake_by_ref(p);
  main_drop(p);
}
constexpr waker_vtable main_waker_vtable{main_clone, main_wake, main_wake_by_ref, main_drop};
raw_waker main_clone(void* p) {
  static_cast<current_thread_core*>(p)->ref();
  return {p, &main_waker_vtable};
}

}  // namespace

scheduler* current_scheduler() noexcept { return tls_context.executor; }

enter_scope::enter_scope(scheduler* s, driver* d)
    : saved_s_(tls_context.executor), saved_d_(tls_context.drv) {
  if (saved_s_ == s)
    throw std::logic_error("eddy: block_on called from inside a task of the same runtime");
  tls_context = {s, d};
}

enter_scope::~enter_scope() { tls_context = {saved_s_, saved_d_}; }

current_thread_core::current_thread_core(std::unique_ptr<driver> drv) : driver_(std::move(drv)) {}

current_thread_core::~current_thread_core() = default;

bool current_thread_core::on_executor_thread() const noexcept {
  return tls_context.executor == this;
}

raw_waker current_thread_core::borrowed_main_waker() noexcept { return {this, &main_waker_vtable}; }

void current_thread_core::wake_main() noexcept {
  main_woken_.store(true, std::memory_order_release);
  if (on_executor_thread()) return;
  bool unpark = false;
  {
    std::lock_guard lock(mutex_);
    unpark = std::exchange(parked_, false);  // invariant 3
  }
  if (unpark) driver_->unpark();
}

void current_thread_core::schedule(task_header* t) noexcept {
  if (on_executor_thread()) {
    // shutdown_ is written only by this thread: no lock needed to read it here.
    if (shutdown_) return;  // being cancelled: never link a dying task
    ready_.push_back(*t);
    return;
  }
  bool unpark = false;
  {
    std::lock_guard lock(mutex_);
    if (shutdown_) return;  // the task is being cancelled; nothing will run it
    inject_.push_back(*t);
    has_remote_.store(true, std::memory_order_release);
    unpark = std::exchange(parked_, false);
  }
  if (unpark) driver_->unpark();
}

void current_thread_core::spawn(task_header* t) noexcept {
  ref();  // held by the cell until it is freed (invariant 4)
  t->scheduler_ = this;
  // Not yet visible to any other thread: a plain store, no locked instruction.
  t->state_.store(t->state_.load(std::memory_order_relaxed) | state::scheduled,
                  std::memory_order_relaxed);
  if (on_executor_thread()) {
    if (!shutdown_) {
      adopt(t);
      return;
    }
  } else {
    bool unpark = false;
    {
      std::lock_guard lock(mutex_);
      if (!shutdown_) {
        spawned_.push_back(*t);
        has_remote_.store(true, std::memory_order_release);
        unpark = std::exchange(parked_, false);
        t = nullptr;
      }
    }
    if (unpark) driver_->unpark();
    if (!t) return;
  }
  // Spawned after shutdown: cancelled before it ever runs.
  t->vtable_->cancel(t);
  owned_.push_back(*t);
  complete(t);
}

void current_thread_core::adopt(task_header* t) noexcept {
  owned_.push_back(*t);
  ready_.push_back(*t);
}

bool current_thread_core::drain_remote() noexcept {
  if (!has_remote_.load(std::memory_order_acquire)) return false;
  queue_t injected, spawned;
  {
    std::lock_guard lock(mutex_);
    injected.swap(inject_);
    spawned.swap(spawned_);
    has_remote_.store(false, std::memory_order_relaxed);
  }
  bool any = false;
  while (!spawned.empty()) {
    task_header& t = spawned.front();
    spawned.pop_front();
    adopt(&t);
    any = true;
  }
  if (!injected.empty()) {
    ready_.splice_after(ready_.last(), injected);
    any = true;
  }
  return any;
}

void current_thread_core::run_one(task_header* t) noexcept {
  switch (run_task(t)) {
    case run_outcome::idle:
      break;
    case run_outcome::requeue:
      ready_.push_back(*t);
      break;
    case run_outcome::finished:
      complete(t);
      break;
  }
}

void current_thread_core::complete(task_header* t) noexcept {
  owned_.erase(owned_.iterator_to(*t));
  finish_task(t);
}

void current_thread_core::turn_driver_now() noexcept {
  since_driver_turn_ = 0;
  driver_->park(std::chrono::nanoseconds::zero());
  drain_remote();
}

bool current_thread_core::spin_for_remote_work() noexcept {
  const auto until = std::chrono::steady_clock::now() + spin_window;
  do {
    for (int i = 0; i < 64; ++i) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
      if (has_remote_.load(std::memory_order_relaxed) ||
          main_woken_.load(std::memory_order_relaxed)) {
        return true;
      }
    }
  } while (std::chrono::steady_clock::now() < until);
  return false;
}

void current_thread_core::park() noexcept {
  if (spin_before_park_) {
    if (spin_for_remote_work()) return;  // invariant 5: it paid, keep spinning
    spin_before_park_ = false;
  }
  {
    std::lock_guard lock(mutex_);
    if (!inject_.empty() || !spawned_.empty() || main_woken_.load(std::memory_order_acquire))
      return;
    parked_ = true;  // invariant 3
  }
  const bool timed = time_next_park_;
  std::chrono::steady_clock::time_point parked_at{};
  if (timed) parked_at = std::chrono::steady_clock::now();
  driver_->park(std::nullopt);
  bool remote;
  {
    std::lock_guard lock(mutex_);
    parked_ = false;
    remote = !inject_.empty() || !spawned_.empty();
  }
  remote = remote || main_woken_.load(std::memory_order_relaxed);
  // invariant 5: another thread ended this sleep soon after it began; the next
  // idle moment spins a little first, so the next such wake-up costs no syscall
  // on either side (and no sleeping CPU to wake).
  if (timed && remote && std::chrono::steady_clock::now() - parked_at < spin_window) {
    spin_before_park_ = true;
  }
  time_next_park_ = remote;
  since_driver_turn_ = 0;
}

void current_thread_core::run_until_main_woken() {
  for (;;) {
    if (!ready_.empty()) {
      // Run the batch that is ready now before the main future is polled again:
      // a main future that yields goes behind the tasks that were already waiting.
      const task_header* last = &*ready_.last();
      bool batch_done;
      do {
        task_header& t = ready_.front();
        ready_.pop_front();
        batch_done = &t == last;
        run_one(&t);
        if (++since_driver_turn_ >= event_interval) turn_driver_now();
      } while (!batch_done);
      if (main_woken_.load(std::memory_order_relaxed)) return;
      continue;
    }
    if (drain_remote()) continue;
    if (main_woken_.load(std::memory_order_relaxed)) return;
    park();
    drain_remote();
  }
}

void current_thread_core::shutdown() noexcept {
  context_guard guard(this, driver_.get());  // destructors may deregister from the driver
  {
    std::lock_guard lock(mutex_);
    shutdown_ = true;
  }
  // Tasks spawned from other threads were never adopted: adopt them to cancel them.
  queue_t injected, spawned;
  {
    std::lock_guard lock(mutex_);
    injected.swap(inject_);
    spawned.swap(spawned_);
  }
  while (!spawned.empty()) {
    task_header& t = spawned.front();
    spawned.pop_front();
    owned_.push_back(t);
  }
  injected.clear();
  // Destroy every frame first, while every cell is still alive (destructors may
  // wake or drop wakers of other tasks), then complete them.
  for (task_header& t : owned_) t.vtable_->cancel(&t);
  ready_.clear();
  {
    std::lock_guard lock(mutex_);
    inject_.clear();
  }
  while (!owned_.empty()) complete(&owned_.front());
}

}  // namespace eddy::detail
