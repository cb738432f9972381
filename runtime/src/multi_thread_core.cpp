#include "runtime/src/multi_thread_core.hpp"

#include <array>
#include <thread>
#include <utility>

#include "runtime/src/current.hpp"
#include "runtime/src/futex_word.hpp"
#include "runtime/src/task_run.hpp"

namespace eddy::detail {

namespace {
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// The worker this thread is, and the core it belongs to.
thread_local void* tls_worker_core = nullptr;
thread_local void* tls_worker = nullptr;
thread_local const void* tls_reactor_core = nullptr;  // the dedicated reactor thread's core
}  // namespace

multi_thread_core::multi_thread_core(runtime_options opts)
    : scheduler(/*has_reserves=*/true), opts_(std::move(opts)) {  // invariant 7
  driver_ = opts_.make_driver ? opts_.make_driver() : make_default_driver();
  unsigned n = opts_.worker_threads ? opts_.worker_threads : std::thread::hardware_concurrency();
  if (n == 0) n = 1;
  for (unsigned i = 0; i < n; ++i) {
    auto w = std::make_unique<worker>();
    w->index = i;
    w->steal_seed = 0x9E3779B97F4A7C15ull * (i + 1);
    w->next_shard = i;
    workers_.push_back(std::move(w));
  }
  // Invariant 3: shards_per_worker shards per worker; each worker links tasks into
  // its own in turn, so a completion elsewhere rarely meets it on one shard.
  for (unsigned i = 0; i < n * shards_per_worker && i < unowned; ++i)
    shards_.push_back(std::make_unique<shard>());
  idle_.reserve(n);
  workers_drive_ = opts_.reactor == reactor_mode::idle_worker;
}

multi_thread_core::~multi_thread_core() = default;

void multi_thread_core::start() {
  if (!workers_drive_)
    reactor_thread_ =
        os_thread(opts_.thread_name + "-io", opts_.thread_stack_size, [this] { reactor_main(); });
  threads_.reserve(workers_.size());
  for (auto& w : workers_) {
    worker* wp = w.get();
    threads_.emplace_back(opts_.thread_name + "-" + std::to_string(wp->index),
                          opts_.thread_stack_size, [this, wp] { worker_main(*wp); });
  }
}

multi_thread_core::worker* multi_thread_core::current_worker() const noexcept {
  return tls_worker_core == this ? static_cast<worker*>(tls_worker) : nullptr;
}

void multi_thread_core::reactor_main() {
  context_guard guard(this, driver_.get());
  tls_reactor_core = this;
  if (opts_.on_thread_start) opts_.on_thread_start();
  while (!reactor_stop_.load(std::memory_order_acquire)) driver_->park(std::nullopt);
  if (opts_.on_thread_stop) opts_.on_thread_stop();
}

void multi_thread_core::worker_main(worker& w) {
  context_guard guard(this, driver_.get());
  tls_worker_core = this;
  tls_worker = &w;
  if (opts_.on_thread_start) opts_.on_thread_start();
  while (!stopping_.load(std::memory_order_acquire)) {
    task_header* t = nullptr;
    if (++w.tick % inject_interval == 0) {
      // Let the driver's wakes in even while this worker never idles.
      if (workers_drive_ && driver_mutex_.try_lock()) {
        driver_->park(std::chrono::nanoseconds::zero());
        driver_mutex_.unlock();
      }
      t = pop_inject();
      // Surplus work a relaxed check in push_local() missed (invariant 1).
      if (w.queue.size() > 1 && idle_count_.fetch_add(0, std::memory_order_seq_cst) > 0)
        notify_one();
    }
    if (!t) t = pop_local(w);
    if (!t) t = pop_inject(&w);
    if (!t) t = steal(w);
    if (t) {
      run(w, t);
    } else {
      park(w);
    }
  }
  if (opts_.on_thread_stop) opts_.on_thread_stop();
  tls_worker_core = nullptr;
  tls_worker = nullptr;
  // Invariant 7: no longer a worker, so cells freed here from now on give back
  // to refs_; shutdown() still holds the runtime's reference.
  if (w.cell_refs != 0) unref(std::exchange(w.cell_refs, 0));
}

void multi_thread_core::run(worker& w, task_header* t) noexcept {
  auto own_if_new = [this, &w](task_header* p) {
    if (p->shard_ == unowned) [[unlikely]]
      own(w, p);
  };
  switch (run_task(t, own_if_new)) {
    case run_outcome::idle:
      break;
    case run_outcome::requeue:
      push_local(w, t);
      break;
    case run_outcome::finished:
      complete(t);
      break;
  }
}

void multi_thread_core::complete(task_header* t) noexcept {
  if (t->shard_ != unowned) {  // invariant 3: completed in its first poll otherwise
    shard& s = *shards_[t->shard_];
    std::lock_guard lock(s.mutex);
    s.tasks.erase(s.tasks.iterator_to(*t));
  }
  finish_task(t);
}

void multi_thread_core::own(worker& w, task_header* t) noexcept {
  const auto count = static_cast<std::uint32_t>(shards_.size());
  w.next_shard += static_cast<std::uint32_t>(workers_.size());
  if (w.next_shard >= count) w.next_shard = w.index % count;
  t->shard_ = static_cast<std::uint16_t>(w.next_shard);
  shard& s = *shards_[t->shard_];
  std::lock_guard lock(s.mutex);
  s.tasks.push_back(*t);
}

void multi_thread_core::adopt(task_header* t) noexcept {
  if (t->shard_ != unowned) return;  // owned: its shard has it
  t->shard_ = 0;
  shard& s = *shards_[0];
  std::lock_guard lock(s.mutex);
  s.tasks.push_back(*t);
}

task_header* multi_thread_core::pop_local(worker& w) noexcept { return w.queue.pop(); }

task_header* multi_thread_core::pop_inject(worker* refill) noexcept {
  if (injected_.load(std::memory_order_relaxed) == 0) return nullptr;
  // With an empty ring to refill, take a fair share of the queue in one lock
  // (at most half a ring) instead of one task per lock.
  constexpr std::size_t max_batch = local_queue::capacity / 2;
  std::array<task_header*, max_batch> batch;
  std::size_t n = 0;
  std::size_t left = 0;
  {
    std::lock_guard lock(inject_mutex_);
    if (inject_.empty()) return nullptr;
    std::size_t want = refill ? inject_.size() / workers_.size() + 1 : 1;
    if (want > max_batch) want = max_batch;
    while (n < want && !inject_.empty()) {
      batch[n++] = &inject_.front();
      inject_.pop_front();
    }
    left = inject_.size();
    injected_.store(left, std::memory_order_seq_cst);
  }
  // The ring is empty and only we push to it: this never overflows.
  for (std::size_t i = 1; i < n; ++i)
    refill->queue.push(batch[i], [this](queue_t& b) { push_inject_batch(b); });
  // Surplus, on our ring or still queued: the pushes may have woken nobody
  // (invariant 6: a spinner was there to take them, and we are it), so hand it
  // on to an idle worker.
  if ((n > 1 || left != 0) && idle_count_.load(std::memory_order_relaxed) > 0) notify_one();
  return batch[0];
}

task_header* multi_thread_core::steal(worker& w) noexcept {
  const std::size_t n = workers_.size();
  if (n < 2) return nullptr;
  // xorshift: start at a different victim each time so thieves spread out.
  w.steal_seed ^= w.steal_seed << 13;
  w.steal_seed ^= w.steal_seed >> 7;
  w.steal_seed ^= w.steal_seed << 17;
  const std::size_t start = w.steal_seed % n;
  for (std::size_t k = 0; k < n; ++k) {
    worker& v = *workers_[(start + k) % n];
    if (&v == &w) continue;
    if (task_header* t = v.queue.steal_into(w.queue)) {
      // More than one stolen: let another idle worker steal from us. A plain
      // load, as in push_local(): we run the stolen tasks ourselves at the latest.
      if (!w.queue.empty() && idle_count_.load(std::memory_order_relaxed) > 0) notify_one();
      return t;
    }
  }
  return nullptr;
}

void multi_thread_core::push_local(worker& w, task_header* t) noexcept {
  const std::uint32_t len = w.queue.push(t, [this](queue_t& batch) { push_inject_batch(batch); });
  if (len == 1 || len == 0) return;  // we run it next / push_inject_batch notified
  // Surplus work: let an idle worker come and steal it. A plain load (invariant
  // 1): the task cannot be lost, we run it ourselves at the latest, so a parker
  // missed here is only a delay, caught up at the next push or tick.
  if (idle_count_.load(std::memory_order_relaxed) > 0) notify_one();
}

bool multi_thread_core::push_inject(task_header* t) noexcept {
  {
    std::lock_guard lock(inject_mutex_);
    if (inject_closed_) return false;  // shutting down: an owned task is being cancelled
    inject_.push_back(*t);
    injected_.store(inject_.size(), std::memory_order_seq_cst);
  }
  // Invariant 6: workers never call this; the reactor thread's wakes are I/O.
  if (tls_reactor_core != this && !foreign_wake_.load(std::memory_order_relaxed))
    foreign_wake_.store(true, std::memory_order_relaxed);
  // A spinning worker (invariant 6) takes it: waking a sleeper too would only
  // make it find nothing, and on a loaded machine preempt the spinner.
  if (idle_count_.load(std::memory_order_seq_cst) > 0 &&
      spinners_.load(std::memory_order_seq_cst) == 0)
    notify_one();
  return true;
}

void multi_thread_core::push_inject_batch(queue_t& batch) noexcept {
  {
    std::lock_guard lock(inject_mutex_);
    if (inject_closed_) {  // shutting down: the tasks are being cancelled
      batch.clear();
      return;
    }
    inject_.splice_after(inject_.empty() ? inject_.before_begin() : inject_.last(), batch);
    injected_.store(inject_.size(), std::memory_order_seq_cst);
  }
  if (idle_count_.load(std::memory_order_seq_cst) > 0) notify_one();
}

void multi_thread_core::schedule(task_header* t) noexcept {
  if (worker* w = current_worker()) {
    push_local(*w, t);
  } else {
    (void)push_inject(t);  // invariant 3: a woken task is owned, so shutdown has it
  }
}

void multi_thread_core::spawn(task_header* t) noexcept {
  worker* w = current_worker();
  // A reference held by the cell until it is freed; on a worker, from its
  // reserve (invariant 7): no locked instruction on a line every worker writes.
  if (!w) {
    ref();
  } else if (w->cell_refs != 0) [[likely]] {
    --w->cell_refs;
  } else {
    ref(cell_ref_batch);
    w->cell_refs = cell_ref_batch - 1;
  }
  t->scheduler_ = this;
  // Not yet visible to any other thread: a plain store, no locked instruction.
  t->state_.store(t->state_.load(std::memory_order_relaxed) | state::scheduled,
                  std::memory_order_relaxed);
  t->shard_ = unowned;  // invariant 3: owned from its first pending poll
  if (w) {
    push_local(*w, t);
  } else if (!push_inject(t)) {  // the runtime is shutting down: cancelled before it ever runs
    t->vtable_->cancel(t);
    finish_task(t);
  }
}

void multi_thread_core::release_to_reserve() noexcept {
  worker* w = current_worker();
  if (!w) {
    unref();
    return;
  }
  // Invariant 7: back to the reserve; the surplus past two batches to refs_,
  // which the remaining reserve keeps above zero.
  if (++w->cell_refs > 2 * cell_ref_batch) [[unlikely]] {
    w->cell_refs -= cell_ref_batch;
    unref(cell_ref_batch);
  }
}

bool multi_thread_core::has_work() const noexcept {
  // Invariant 1: after the parker's RMW of idle_count_ (seq_cst).
  if (injected_.load(std::memory_order_seq_cst) != 0) return true;
  for (const auto& w : workers_)
    if (!w->queue.empty()) return true;
  return false;
}

void multi_thread_core::notify_one() noexcept {
  worker* w = nullptr;
  {
    std::lock_guard lock(idle_mutex_);
    if (idle_.empty()) return;
    w = idle_.back();
    idle_.pop_back();  // invariant 2
    idle_count_.fetch_sub(1, std::memory_order_seq_cst);
  }
  wake_worker(*w);
}

void multi_thread_core::wake_worker(worker& w) noexcept {
  // Invariant 5: release publishes what the notifier did before (the task it
  // queued, stopping_); acquire orders the wake after the sleeper's announce.
  switch (w.park_state.exchange(park_notified, std::memory_order_acq_rel)) {
    case park_sleeping:
      futex_wake_one(w.park_state);
      break;
    case park_driving:
      driver_->unpark();
      break;
    default:  // empty or already notified: the worker sees it before it sleeps
      break;
  }
}

void multi_thread_core::sleep_until_notified(worker& w) noexcept {
  std::uint32_t expected = park_empty;
  if (w.park_state.compare_exchange_strong(expected, park_sleeping, std::memory_order_acq_rel,
                                           std::memory_order_acquire)) {
    while (w.park_state.load(std::memory_order_acquire) == park_sleeping) {
      futex_wait(w.park_state, park_sleeping);
    }
  }
  w.park_state.exchange(park_empty, std::memory_order_acquire);  // consume the notification
}

bool multi_thread_core::spin_for_work(worker& w) noexcept {
  w.spin_before_park = false;
  if (spinners_.fetch_add(1, std::memory_order_acq_rel) != 0) {  // another worker spins
    spinners_.fetch_sub(1, std::memory_order_acq_rel);
    return false;
  }
  bool found = false;
  const auto until = std::chrono::steady_clock::now() + spin_window;
  do {
    for (int i = 0; i < 16 && !found; ++i) {
      found = has_work() || stopping_.load(std::memory_order_acquire);
      cpu_relax();
    }
  } while (!found && std::chrono::steady_clock::now() < until);
  spinners_.fetch_sub(1, std::memory_order_seq_cst);  // before park()'s re-check (invariant 6)
  w.spin_before_park = found;                         // it paid: spin again next time
  return found;
}

void multi_thread_core::note_wake(worker& w, std::chrono::steady_clock::time_point since) noexcept {
  if (!foreign_wake_.load(std::memory_order_relaxed)) return;
  foreign_wake_.store(false, std::memory_order_relaxed);
  if (std::chrono::steady_clock::now() - since < spin_window) w.spin_before_park = true;
}

void multi_thread_core::park(worker& w) noexcept {
  if (w.spin_before_park && spin_for_work(w)) return;  // invariant 6
  // Look again for a short while before sleeping: a futex wait and the wake that
  // ends it cost a context switch each, several microseconds, while in
  // fork-join and message-passing loads the other worker usually produces the
  // next task within a few hundred nanoseconds. Only while another worker runs
  // tasks: when every other worker is idle, work comes from the driver, which
  // notifies, and spinning would only burn CPU per idle period.
  const bool others_busy = idle_count_.load(std::memory_order_relaxed) + 1 < workers_.size();
  for (unsigned i = 0; others_busy && i < park_spin; ++i) {
    if (has_work() || stopping_.load(std::memory_order_acquire)) return;
    cpu_relax();
  }
  {
    std::lock_guard lock(idle_mutex_);
    idle_.push_back(&w);
    idle_count_.fetch_add(1, std::memory_order_seq_cst);
  }
  // Re-check after announcing (invariant 1): a producer that pushed before it
  // saw us idle did not notify anyone.
  if (has_work() || stopping_.load(std::memory_order_acquire)) {
    leave_idle(w);
    return;
  }
  if (workers_drive_ && park_in_driver(w)) return;
  const auto slept_at = std::chrono::steady_clock::now();
  sleep_until_notified(w);
  note_wake(w, slept_at);
}

void multi_thread_core::leave_idle(worker& w) noexcept {
  {
    std::lock_guard lock(idle_mutex_);
    for (auto it = idle_.begin(); it != idle_.end(); ++it) {
      if (*it == &w) {
        idle_.erase(it);
        idle_count_.fetch_sub(1, std::memory_order_seq_cst);
        return;
      }
    }
  }
  // Someone already took us off the list and is about to notify: consume it.
  sleep_until_notified(w);
}

bool multi_thread_core::park_in_driver(worker& w) noexcept {
  if (!driver_mutex_.try_lock()) return false;
  std::uint32_t expected = park_empty;
  if (!w.park_state.compare_exchange_strong(expected, park_driving, std::memory_order_acq_rel,
                                            std::memory_order_acquire)) {
    // Notified between the re-check and here (invariant 5): consume it.
    w.park_state.exchange(park_empty, std::memory_order_acquire);
    driver_mutex_.unlock();
    return true;
  }
  // Returns on a notification (unpark), on I/O or timers (their wakes are on our
  // own queue now), or spuriously on a stale unpark.
  const auto slept_at = std::chrono::steady_clock::now();
  driver_->park(std::nullopt);
  const bool notified =
      w.park_state.exchange(park_empty, std::memory_order_acquire) == park_notified;
  driver_mutex_.unlock();
  if (!notified) leave_idle(w);
  note_wake(w, slept_at);
  return true;
}

void multi_thread_core::shutdown() noexcept {
  stopping_.store(true, std::memory_order_release);
  for (auto& w : workers_) wake_worker(*w);
  for (auto& t : threads_) t.join();
  reactor_stop_.store(true, std::memory_order_release);
  driver_->unpark();
  if (!workers_drive_) reactor_thread_.join();

  // Invariant 4: from here on only this thread touches tasks.
  context_guard guard(this, driver_.get());
  {
    // A spawn from outside now cancels its own task (invariant 3), and the
    // tasks never polled, unowned, join the owned ones to be cancelled.
    std::lock_guard lock(inject_mutex_);
    inject_closed_ = true;
    for (task_header& t : inject_) adopt(&t);
  }
  for (auto& w : workers_) {
    while (task_header* t = w->queue.pop()) adopt(t);
  }
  // Destroy every frame first, while every cell is alive, then complete them.
  for (auto& s : shards_)
    for (task_header& t : s->tasks) t.vtable_->cancel(&t);
  for (auto& w : workers_) w->queue.clear();
  {
    std::lock_guard lock(inject_mutex_);
    inject_.clear();
    inject_closed_ = true;  // wakes while tasks finish must not link them anywhere
  }
  for (auto& s : shards_) {
    while (!s->tasks.empty()) {
      task_header& t = s->tasks.front();
      s->tasks.pop_front();
      finish_task(&t);
    }
  }
}

}  // namespace eddy::detail
