// runtime_harness.hpp: a current-thread executor over the reactor, in either
// drive mode, for task-based socket tests:
//   * inline_turn: the executor's driver is time_driver(reactor); the executor
//     turns the reactor itself when it has nothing to run;
//   * reactor_thread: reactor.run() on its own thread wakes tasks across threads;
//     the executor parks on a condition variable (the multi-thread runtime's shape).
// The destructor proves a clean teardown: no registration left.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include <gtest/gtest.h>
#include <eddy/driver.hpp>
#include <eddy/executor.hpp>
#include <eddy/reactor/reactor.hpp>
#include <eddy/timer/time_driver.hpp>

#include "runtime/src/thread_parker.hpp"

namespace eddy::test {

enum class io_mode { inline_turn, reactor_thread };

inline const char* to_string(io_mode m) {
  return m == io_mode::inline_turn ? "InlineTurn" : "ReactorThread";
}

/// Parks the executor thread (a thread_parker); I/O is the reactor thread's
/// business, so this driver only names the reactor as its I/O service.
class threaded_io_driver final : public driver {
 public:
  explicit threaded_io_driver(reactor& r) noexcept : reactor_(r) {}
  void park(std::optional<std::chrono::nanoseconds> timeout) override { parker_.park(timeout); }
  void unpark() noexcept override { parker_.unpark(); }
  void* service(driver_service which) noexcept override {
    return which == driver_service::io ? &reactor_ : nullptr;
  }

 private:
  reactor& reactor_;
  eddy::detail::thread_parker parker_;
};

class runtime_harness {
 public:
  explicit runtime_harness(io_mode mode) {
    if (mode == io_mode::inline_turn) {
      auto r = std::make_unique<reactor>();
      io_ = r.get();
      ex_.emplace(std::make_unique<timer::time_driver>(std::move(r)));
    } else {
      owned_ = std::make_unique<reactor>();
      io_ = owned_.get();
      thread_ = std::thread([r = io_] { r->run(); });
      ex_.emplace(std::make_unique<timer::time_driver>(std::make_unique<threaded_io_driver>(*io_)));
    }
  }
  runtime_harness(const runtime_harness&) = delete;
  runtime_harness& operator=(const runtime_harness&) = delete;
  ~runtime_harness() {
    // The inline reactor dies with the executor; check it before.
    if (!owned_) {
      EXPECT_EQ(io_->registration_count(), 0u) << "registrations left behind";
    }
    ex_.reset();
    if (owned_) {
      EXPECT_EQ(io_->registration_count(), 0u) << "registrations left behind";
      io_->stop();
      thread_.join();
    }
  }

  template <class F>
  decltype(auto) block_on(F&& f) {
    return ex_->block_on(std::forward<F>(f));
  }
  [[nodiscard]] reactor& io() noexcept { return *io_; }
  [[nodiscard]] current_thread_executor& executor() noexcept { return *ex_; }

 private:
  std::unique_ptr<reactor> owned_;  // reactor_thread mode: outlives the executor
  reactor* io_ = nullptr;
  std::thread thread_;
  std::optional<current_thread_executor> ex_;
};

}  // namespace eddy::test
