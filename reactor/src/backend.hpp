// backend.hpp: the one seam between the reactor and the OS readiness queue. The
// backend is picked at build time (no virtual calls on the hot path); everything
// above this file is portable. A backend provides:
//
//   explicit backend();                          throws std::system_error
//   std::error_code add(int fd, std::uint64_t token) noexcept;
//       register fd once, edge-triggered, for read and write readiness
//   std::error_code remove(int fd) noexcept;
//   std::size_t wait(std::span<backend_event> out,
//                    std::optional<std::chrono::nanoseconds> timeout);
//       blocks up to timeout (rounded up, never down to a spin); nullopt: forever
//   void notify() noexcept;           any thread: makes a wait return, reporting
//                                     one event whose token is notify_token
//   void drain_notify() noexcept;     re-arms after that event was seen
//
// Readiness is reported in io_ready bits: a hang-up or error also sets readable
// and writable, so the waiting operation runs its syscall and learns the error.
#pragma once

#include <cstdint>

namespace eddy::detail {

/// One readiness event: the token given to add() and io_ready bits.
struct backend_event {
  std::uint64_t token;
  std::uint8_t ready;
};

/// Reserved token of the wake-up (unpark) event.
inline constexpr std::uint64_t notify_token = ~std::uint64_t{0};

}  // namespace eddy::detail

#if defined(__linux__)
#include "reactor/src/epoll/backend.hpp"
namespace eddy::detail {
using backend = epoll_backend;
}
#else
#error "eddy: no reactor backend for this platform yet (kqueue: reactor/src/kqueue/)"
#endif
