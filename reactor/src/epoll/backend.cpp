#include "reactor/src/epoll/backend.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <system_error>

#include <sys/eventfd.h>
#include <unistd.h>
#include <eddy/reactor/registration.hpp>

#include "reactor/src/backend.hpp"

namespace eddy::detail {
namespace {

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::system_category(), what);
}

// epoll_wait takes milliseconds: round up, or a 300 us deadline becomes 0 and spins.
int to_timeout_ms(std::optional<std::chrono::nanoseconds> timeout) noexcept {
  if (!timeout) return -1;
  if (timeout->count() <= 0) return 0;
  constexpr std::int64_t ns_per_ms = 1'000'000;
  const std::int64_t ms = (timeout->count() + ns_per_ms - 1) / ns_per_ms;
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

std::uint8_t to_ready(std::uint32_t ev) noexcept {
  std::uint8_t r = 0;
  if (ev & (EPOLLIN | EPOLLPRI)) r |= io_ready::readable;
  if (ev & EPOLLOUT) r |= io_ready::writable;
  if (ev & EPOLLRDHUP) r |= io_ready::readable | io_ready::read_closed;
  if (ev & EPOLLHUP) {
    r |= io_ready::readable | io_ready::writable | io_ready::read_closed | io_ready::write_closed;
  }
  if (ev & EPOLLERR) r |= io_ready::readable | io_ready::writable | io_ready::error;
  return r;
}

constexpr std::size_t max_events = 256;

}  // namespace

epoll_backend::epoll_backend() : events_(max_events) {
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) throw_errno("epoll_create1");
  eventfd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (eventfd_ < 0) {
    const int saved = errno;
    ::close(epfd_);
    throw std::system_error(saved, std::system_category(), "eventfd");
  }
  // Level-triggered on purpose: until drain_notify() reads it, every wait returns.
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = notify_token;
  if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, eventfd_, &ev) < 0) {
    const int saved = errno;
    ::close(eventfd_);
    ::close(epfd_);
    throw std::system_error(saved, std::system_category(), "epoll_ctl(eventfd)");
  }
}

epoll_backend::~epoll_backend() {
  ::close(eventfd_);
  ::close(epfd_);
}

std::error_code epoll_backend::add(int fd, std::uint64_t token) noexcept {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = token;
  if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) < 0) return {errno, std::system_category()};
  return {};
}

std::error_code epoll_backend::remove(int fd) noexcept {
  // A non-null event pointer keeps pre-2.6.9 kernels happy; it is ignored.
  epoll_event ev{};
  if (::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, &ev) < 0) return {errno, std::system_category()};
  return {};
}

std::size_t epoll_backend::wait(std::span<backend_event> out,
                                std::optional<std::chrono::nanoseconds> timeout) {
  const int cap = static_cast<int>(std::min(out.size(), events_.size()));
  const int n = ::epoll_wait(epfd_, events_.data(), cap, to_timeout_ms(timeout));
  if (n < 0) {
    // EINTR: a signal is no event. Returning early is allowed: park() callers loop,
    // and retrying here would restart the full timeout.
    if (errno == EINTR) return 0;
    throw std::system_error(errno, std::system_category(), "epoll_wait");
  }
  for (int i = 0; i < n; ++i) {
    out[static_cast<std::size_t>(i)] = {events_[static_cast<std::size_t>(i)].data.u64,
                                        to_ready(events_[static_cast<std::size_t>(i)].events)};
  }
  return static_cast<std::size_t>(n);
}

void epoll_backend::notify() noexcept {
  const std::uint64_t one = 1;
  // EAGAIN means the counter is saturated: a wake-up is pending anyway.
  while (::write(eventfd_, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

void epoll_backend::drain_notify() noexcept {
  std::uint64_t value;
  while (::read(eventfd_, &value, sizeof value) < 0 && errno == EINTR) {
  }
}

}  // namespace eddy::detail
