// runtime.hpp: eddy::runtime, built by runtime::builder, in one of two flavours:
//
//   current_thread  the thread calling block_on polls every task and turns the
//                   driver itself (current_thread_executor).
//   multi_thread    N worker threads poll tasks from per-worker queues, a global
//                   injection queue and by stealing from each other; a dedicated
//                   reactor thread runs the driver (epoll and the timer wheel) and
//                   only wakes tasks. Idle workers park until a wake unparks one.
//                   With reactor_mode::idle_worker there is no reactor thread: an
//                   idle worker parks in the driver itself, and busy workers poll
//                   it (without blocking) every few dozen tasks.
//
// Thread safety: a runtime may be used (spawn, handle) from any thread; block_on
// may run on several threads at once for multi_thread, one at a time for
// current_thread. Destroying the runtime cancels every task still alive (their
// destructors run on the destroying thread), then joins every thread it started.
// Also includes the whole task API, so `#include <eddy/runtime.hpp>` is enough.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include <eddy/context.hpp>
#include <eddy/driver.hpp>
#include <eddy/error.hpp>
#include <eddy/executor.hpp>
#include <eddy/future.hpp>
#include <eddy/join.hpp>
#include <eddy/join_handle.hpp>
#include <eddy/polled.hpp>
#include <eddy/result.hpp>
#include <eddy/spawn_blocking.hpp>
#include <eddy/task.hpp>
#include <eddy/waker.hpp>
#include <eddy/yield_now.hpp>

namespace eddy {

enum class runtime_flavor { current_thread, multi_thread };

/// Who runs the driver of a multi_thread runtime.
enum class reactor_mode {
  /// A dedicated reactor thread owns epoll and the timer wheel; wakes from it land
  /// in the injection queue (the default, the documented shape).
  dedicated_thread,
  /// The first worker to go idle parks in the driver instead of its condition
  /// variable, and every worker polls it without blocking every 61 tasks: wakes
  /// from I/O and timers land on that worker's own queue. No extra thread, but
  /// I/O waits while every worker is busy in one long poll.
  idle_worker,
};

struct runtime_options {
  runtime_flavor flavor = runtime_flavor::multi_thread;
  /// Worker threads of a multi_thread runtime; 0 = the number of CPUs.
  unsigned worker_threads = 0;
  /// Who runs the driver (multi_thread only).
  reactor_mode reactor = reactor_mode::dedicated_thread;
  /// Name of the runtime's threads (workers get "-N" appended).
  std::string thread_name = "eddy-worker";
  /// Stack size of the runtime's threads in bytes; 0 = the system default.
  std::size_t thread_stack_size = 0;
  /// Run on each thread the runtime starts, first and last thing.
  std::function<void()> on_thread_start;
  std::function<void()> on_thread_stop;
  /// The driver; nullptr = make_default_driver().
  std::function<std::unique_ptr<driver>()> make_driver;
};

namespace detail {
class multi_thread_core;
/// Creates and starts a multi-thread scheduler; the caller owns one reference.
scheduler* start_multi_thread(runtime_options opts);
/// Cancels its tasks, joins its threads, drops the caller's reference.
void stop_multi_thread(scheduler* s) noexcept;
driver* driver_of(scheduler* s) noexcept;
unsigned worker_count(scheduler* s) noexcept;

/// Wakes a thread blocked in block_on; reference counted, so a waker that
/// outlives block_on stays valid.
class thread_notifier {
 public:
  static thread_notifier* create() { return new thread_notifier; }
  /// A waker owning a new reference.
  raw_waker make_waker() noexcept;
  /// True (once) if woken since the last call.
  bool take() noexcept { return notified_.exchange(false, std::memory_order_acquire); }
  /// Blocks until woken.
  void wait() noexcept;
  void wake() noexcept;
  void unref() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
  void ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }

 private:
  thread_notifier() = default;
  std::atomic<int> refs_{1};
  std::atomic<bool> notified_{true};  // the first take() polls the future
  std::mutex mutex_;
  std::condition_variable cv_;
};

}  // namespace detail

class runtime;

/// A cheap, copyable reference to a runtime, for spawning from any thread.
/// Spawning through a handle whose runtime is gone cancels the task at once
/// (awaiting it throws task_cancelled).
class runtime_handle {
 public:
  runtime_handle() noexcept = default;
  runtime_handle(const runtime_handle& o) noexcept : s_(o.s_) {
    if (s_) s_->ref();
  }
  runtime_handle& operator=(runtime_handle o) noexcept {
    std::swap(s_, o.s_);
    return *this;
  }
  ~runtime_handle() {
    if (s_) s_->unref();
  }

  template <future F>
  join_handle<future_output_t<F>> spawn(F f) const {
    if (!s_) throw std::system_error(make_error_code(errc::no_runtime), "eddy::runtime_handle");
    auto* cell = detail::future_cell<F>::create(std::move(f));
    s_->spawn(cell);
    return join_handle<future_output_t<F>>(cell);
  }

 private:
  friend class runtime;
  explicit runtime_handle(detail::scheduler* s) noexcept : s_(s) { s_->ref(); }
  detail::scheduler* s_ = nullptr;
};

class runtime {
 public:
  class builder {
   public:
    builder& flavor(runtime_flavor f) {
      opts_.flavor = f;
      return *this;
    }
    builder& worker_threads(unsigned n) {
      opts_.worker_threads = n;
      return *this;
    }
    builder& reactor(reactor_mode m) {
      opts_.reactor = m;
      return *this;
    }
    builder& thread_name(std::string name) {
      opts_.thread_name = std::move(name);
      return *this;
    }
    builder& thread_stack_size(std::size_t bytes) {
      opts_.thread_stack_size = bytes;
      return *this;
    }
    builder& on_thread_start(std::function<void()> f) {
      opts_.on_thread_start = std::move(f);
      return *this;
    }
    builder& on_thread_stop(std::function<void()> f) {
      opts_.on_thread_stop = std::move(f);
      return *this;
    }
    builder& driver_factory(std::function<std::unique_ptr<driver>()> f) {
      opts_.make_driver = std::move(f);
      return *this;
    }
    /// Starts the runtime's threads. Throws std::system_error on failure.
    [[nodiscard]] runtime build() { return runtime(opts_); }

   private:
    runtime_options opts_;
  };

  static builder new_current_thread() { return builder().flavor(runtime_flavor::current_thread); }
  static builder new_multi_thread() { return builder().flavor(runtime_flavor::multi_thread); }

  explicit runtime(runtime_options opts);
  runtime(runtime&& o) noexcept
      : ct_(std::move(o.ct_)), mt_(std::exchange(o.mt_, nullptr)), flavor_(o.flavor_) {}
  runtime& operator=(runtime&&) = delete;
  ~runtime();

  /// Runs `f` on the calling thread until it completes; spawned tasks run on the
  /// runtime meanwhile. Returns f's output or rethrows its exception.
  template <future F>
  future_output_t<F> block_on(F&& f) {
    if (ct_) return ct_->block_on(std::forward<F>(f));
    detail::enter_scope scope(mt_, detail::driver_of(mt_));
    struct notifier_ref {
      detail::thread_notifier* n = detail::thread_notifier::create();
      ~notifier_ref() { n->unref(); }
    } nr;
    waker w(nr.n->make_waker());
    context cx(w);
    for (;;) {
      if (nr.n->take()) {
        auto p = f.poll(cx);
        if (p.is_ready()) {
          if constexpr (std::is_void_v<future_output_t<F>>)
            return;
          else
            return std::move(p).value();
        }
      }
      nr.n->wait();
    }
  }

  template <future F>
  join_handle<future_output_t<F>> spawn(F f) {
    if (ct_) return ct_->spawn(std::move(f));
    auto* cell = detail::future_cell<F>::create(std::move(f));
    mt_->spawn(cell);
    return join_handle<future_output_t<F>>(cell);
  }

  [[nodiscard]] runtime_handle handle() const;
  [[nodiscard]] runtime_flavor flavor() const noexcept { return flavor_; }
  /// Worker threads (1 for current_thread).
  [[nodiscard]] unsigned workers() const noexcept;

 private:
  std::unique_ptr<current_thread_executor> ct_;
  detail::scheduler* mt_ = nullptr;
  runtime_flavor flavor_;
};

}  // namespace eddy
