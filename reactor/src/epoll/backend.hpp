// epoll/backend.hpp: the Linux backend: one epoll instance, fds registered once
// edge-triggered for both directions, and an eventfd for unpark().
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

#include <sys/epoll.h>

namespace eddy::detail {

struct backend_event;

class epoll_backend {
 public:
  epoll_backend();
  ~epoll_backend();
  epoll_backend(const epoll_backend&) = delete;
  epoll_backend& operator=(const epoll_backend&) = delete;

  std::error_code add(int fd, std::uint64_t token) noexcept;
  std::error_code remove(int fd) noexcept;
  std::size_t wait(std::span<backend_event> out, std::optional<std::chrono::nanoseconds> timeout);
  void notify() noexcept;
  void drain_notify() noexcept;

 private:
  int epfd_ = -1;
  int eventfd_ = -1;
  std::vector<epoll_event> events_;
};

}  // namespace eddy::detail
