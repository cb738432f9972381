// context.hpp: what a future is polled with. It carries the waker of the task that
// is polling, which a future clones and stores before it returns pending.
#pragma once

#include <eddy/waker.hpp>

namespace eddy {

class context {
 public:
  explicit constexpr context(const eddy::waker& w) noexcept : waker_(&w) {}
  /// A context only borrows its waker: `context cx(noop_waker());` would dangle.
  context(const eddy::waker&&) = delete;

  /// The current task's waker. Clone it (copy) to keep it past this poll.
  [[nodiscard]] constexpr const eddy::waker& waker() const noexcept { return *waker_; }

 private:
  const eddy::waker* waker_;
};

}  // namespace eddy
