#include <eddy/runtime.hpp>

#include <condition_variable>
#include <mutex>

#include "runtime/src/current.hpp"
#include "runtime/src/multi_thread_core.hpp"

namespace eddy {

namespace detail {

scheduler* start_multi_thread(runtime_options opts) {
  auto* core = new multi_thread_core(std::move(opts));
  try {
    core->start();
  } catch (...) {
    core->shutdown();
    core->unref();
    throw;
  }
  return core;
}

void stop_multi_thread(scheduler* s) noexcept {
  auto* core = static_cast<multi_thread_core*>(s);
  core->shutdown();
  core->unref();
}

driver* driver_of(scheduler* s) noexcept { return static_cast<multi_thread_core*>(s)->drv(); }

unsigned worker_count(scheduler* s) noexcept {
  return static_cast<multi_thread_core*>(s)->workers();
}

namespace {
thread_notifier* as_notifier(void* p) { return static_cast<thread_notifier*>(p); }
raw_waker notifier_clone(void* p);
void notifier_wake_by_ref(void* p) { as_notifier(p)->wake(); }
void notifier_drop(void* p) { as_notifier(p)->unref(); }
void notifier_wake(void* p) {
  notifier_wake_by_ref(p);
  notifier_drop(p);
}
constexpr waker_vtable notifier_vtable{notifier_clone, notifier_wake, notifier_wake_by_ref,
                                       notifier_drop};
raw_waker notifier_clone(void* p) {
  as_notifier(p)->ref();
  return {p, &notifier_vtable};
}
}  // namespace

raw_waker thread_notifier::make_waker() noexcept { return notifier_clone(this); }

void thread_notifier::wake() noexcept {
  notified_.store(true, std::memory_order_release);
  // Lock before notifying: a waiter between its check and its wait cannot miss it.
  { std::lock_guard lock(mutex_); }
  cv_.notify_one();
}

void thread_notifier::wait() noexcept {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [&] { return notified_.load(std::memory_order_acquire); });
}

}  // namespace detail

runtime::runtime(runtime_options opts) : flavor_(opts.flavor) {
  if (flavor_ == runtime_flavor::current_thread) {
    ct_ = std::make_unique<current_thread_executor>(opts.make_driver ? opts.make_driver()
                                                                     : make_default_driver());
  } else {
    mt_ = detail::start_multi_thread(std::move(opts));
  }
}

runtime::~runtime() {
  if (mt_) detail::stop_multi_thread(mt_);
}

runtime_handle runtime::handle() const { return runtime_handle(ct_ ? ct_->get_scheduler() : mt_); }

unsigned runtime::workers() const noexcept { return mt_ ? detail::worker_count(mt_) : 1; }

}  // namespace eddy
