// executor.hpp: the current-thread executor, block_on and spawn.
//
// current_thread_executor: the thread that calls block_on polls tasks and turns
// the driver (reactor and timers) itself: a non-blocking turn every
// event_interval polls, a blocking one when nothing is ready.
//
// Thread safety: block_on runs on one thread at a time. spawn and every waker of
// its tasks may be used from any thread. Destroying the executor cancels the tasks
// still alive; their destructors run on the destroying thread.
#pragma once

#include <memory>
#include <stdexcept>
#include <system_error>
#include <utility>

#include <eddy/context.hpp>
#include <eddy/detail/current_thread_core.hpp>
#include <eddy/driver.hpp>
#include <eddy/error.hpp>
#include <eddy/future.hpp>
#include <eddy/join_handle.hpp>
#include <eddy/task.hpp>

namespace eddy {

namespace detail {
/// The scheduler whose block_on runs on this thread, or nullptr.
scheduler* current_scheduler() noexcept;

/// Installs `s` and `d` as the thread's runtime context for a block_on, and
/// restores the previous one after (block_on of another runtime nests). Throws
/// std::logic_error when this thread already runs a task of `s`: blocking inside
/// its own executor would deadlock it.
class enter_scope {
 public:
  enter_scope(scheduler* s, driver* d);
  ~enter_scope();
  enter_scope(const enter_scope&) = delete;
  enter_scope& operator=(const enter_scope&) = delete;

 private:
  scheduler* saved_s_;
  driver* saved_d_;
};
}  // namespace detail

class current_thread_executor {
 public:
  explicit current_thread_executor(std::unique_ptr<driver> drv = make_default_driver())
      : core_(new detail::current_thread_core(std::move(drv))) {}
  ~current_thread_executor() {
    core_->shutdown();
    core_->unref();
  }
  current_thread_executor(const current_thread_executor&) = delete;
  current_thread_executor& operator=(const current_thread_executor&) = delete;

  /// Runs this executor on the calling thread until `f` completes; returns its
  /// value (or rethrows its exception). Spawned tasks run meanwhile. Throws
  /// std::logic_error if called from inside a task of this executor.
  template <future F>
  future_output_t<F> block_on(F&& f) {
    detail::enter_scope scope(core_, core_->drv());
    waker main(core_->borrowed_main_waker());
    struct release_guard {
      waker& w;
      ~release_guard() { (void)w.release(); }  // borrowed: owns no reference
    } guard{main};
    context cx(main);
    for (;;) {
      auto p = f.poll(cx);
      if (p.is_ready()) {
        if constexpr (std::is_void_v<future_output_t<F>>)
          return;
        else
          return std::move(p).value();
      }
      do {
        core_->run_until_main_woken();
      } while (!core_->take_main_woken());
    }
  }

  /// Spawns `f` (a task, or any future: it is moved into the task's cell and
  /// polled there, never moved again) on this executor. Any thread.
  template <future F>
  join_handle<future_output_t<F>> spawn(F f) {
    auto* cell = detail::future_cell<F>::create(std::move(f));
    core_->spawn(cell);
    return join_handle<future_output_t<F>>(cell);
  }

  [[nodiscard]] driver& get_driver() noexcept { return *core_->drv(); }
  [[nodiscard]] detail::scheduler* get_scheduler() const noexcept { return core_; }

 private:
  detail::current_thread_core* core_;
};

/// Runs `f` to completion on a fresh current-thread executor with the default
/// driver; tasks it spawned and left running are cancelled when it returns.
template <future F>
future_output_t<F> block_on(F&& f) {
  current_thread_executor ex;
  return ex.block_on(std::forward<F>(f));
}

/// Spawns `f` (a task, or any future: it is moved into the task's cell and polled
/// there, never moved again) on the executor running on this thread. Throws
/// std::system_error (errc::no_runtime) when called outside a runtime.
template <future F>
join_handle<future_output_t<F>> spawn(F f) {
  detail::scheduler* s = detail::current_scheduler();
  if (!s) throw std::system_error(make_error_code(errc::no_runtime), "eddy::spawn");
  auto* cell = detail::future_cell<F>::create(std::move(f));
  s->spawn(cell);
  return join_handle<future_output_t<F>>(cell);
}

}  // namespace eddy
