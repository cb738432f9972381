// reactor_impl.hpp: the reactor's private state, shared by reactor.cpp and
// registration.cpp.
//
// Invariants:
//   1. Only the driving thread (the one in turn()) writes tick_ and dispatches;
//      other threads only register, deregister, poll and unpark.
//   2. Wakers collected during a batch are woken after the batch, with no lock of
//      ours held (a waker may re-enter: register, unpark, even poll).
//   3. notified_ is true from the first unpark() until the driving thread has seen
//      the wake-up event; unpark() writes the eventfd only on the false -> true
//      edge, so a storm of cross-thread wakes costs one syscall per turn.
//   4. With no registration live, a blocking turn sleeps on the futex word
//      notified_ rather than in epoll_wait (futex_parked_ tells unpark() which of
//      the two to wake), and a zero-timeout turn (the executor's periodic poll)
//      makes no syscall at all unless an unpark is pending: only the notify
//      eventfd could be ready, and it is written only while notified_ is set.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include <eddy/waker.hpp>

#include "reactor/src/backend.hpp"
#include "reactor/src/io_slot.hpp"

namespace eddy::detail {

class reactor_impl {
 public:
  reactor_impl();

  std::size_t turn(std::optional<std::chrono::nanoseconds> timeout);
  void unpark() noexcept;

  /// Marks the slot ready per `ready` if `token` still names its registration, and
  /// moves the wakers that can now make progress into to_wake_.
  bool dispatch(std::uint64_t token, std::uint8_t ready);

  /// io_registration::open / reset: counts live registrations (invariant 4).
  void registration_opened() noexcept;
  void registration_closed() noexcept { registrations_.fetch_sub(1, std::memory_order_relaxed); }

  void wait_for_descriptor(const waker& w);
  /// A registration was dropped: a descriptor is probably free again.
  void descriptor_released();

  backend backend_;
  slab slab_;
  std::atomic<bool> stopped_{false};

 private:
  std::uint32_t tick_ = 0;  // invariant 1
  /// Blocks on the futex when no registration is live (invariant 4); false if
  /// the turn must wait in epoll instead.
  bool park_without_descriptors(std::optional<std::chrono::nanoseconds> timeout);

  std::atomic<std::uint32_t> notified_{0};       // invariants 3 and 4: a futex word
  std::atomic<std::uint32_t> futex_parked_{0};   // invariant 4
  std::atomic<std::uint32_t> registrations_{0};  // invariant 4
  std::vector<backend_event> events_;
  std::vector<waker> to_wake_;
#ifndef NDEBUG
  std::atomic<bool> in_turn_{false};
#endif

  // EMFILE back-off: wakers woken when a registration is dropped or at retry_at_.
  std::atomic<bool> has_descriptor_waiters_{false};
  std::mutex descriptor_mutex_;
  std::vector<waker> descriptor_waiters_;
  std::optional<std::chrono::steady_clock::time_point> retry_at_;
};

}  // namespace eddy::detail
