// yield_now.hpp: gives the executor a chance to run other ready tasks.
#pragma once

#include <eddy/context.hpp>
#include <eddy/polled.hpp>

namespace eddy {

/// Pending once (after waking its own task, which goes to the back of the ready
/// queue), ready the next time.
class yield_now_future {
 public:
  polled<void> poll(context& cx) noexcept {
    if (yielded_) return ready();
    yielded_ = true;
    cx.waker().wake_by_ref();
    return pending;
  }

 private:
  bool yielded_ = false;
};

/// `co_await eddy::yield_now();`
[[nodiscard]] inline yield_now_future yield_now() noexcept { return {}; }

}  // namespace eddy
