// sys.hpp: the syscall boundary of net/. Every socket call goes through these
// helpers: EINTR is retried here and nowhere else, errors become error_codes, and
// addresses convert to and from sockaddr.
#pragma once

#include <cerrno>
#include <cstddef>
#include <system_error>

#include <sys/socket.h>
#include <sys/types.h>
#include <eddy/net/address.hpp>
#include <eddy/result.hpp>

namespace eddy::net::detail {

inline std::error_code last_error() noexcept { return {errno, std::system_category()}; }

/// Calls f() until it does not fail with EINTR.
template <class F>
auto retry_eintr(F&& f) noexcept {
  decltype(f()) r;
  do {
    r = f();
  } while (r < 0 && errno == EINTR);
  return r;
}

/// A byte count or the errno of a failed read/write-like call.
inline result<std::size_t> size_result(ssize_t n) noexcept {
  if (n < 0) return last_error();
  return static_cast<std::size_t>(n);
}

inline result<void> void_result(int r) noexcept {
  if (r < 0) return last_error();
  return {};
}

socklen_t to_sockaddr(const address& a, sockaddr_storage& out) noexcept;
/// Precondition: ss holds AF_INET or AF_INET6.
address from_sockaddr(const sockaddr_storage& ss) noexcept;

/// A non-blocking, close-on-exec socket.
result<int> open_socket(int domain, int type, int protocol = 0) noexcept;
result<address> local_address(int fd) noexcept;
result<address> peer_address(int fd) noexcept;
result<void> set_option(int fd, int level, int name, int value) noexcept;
/// The pending error of a socket (SO_ERROR), cleared by reading it.
std::error_code take_socket_error(int fd) noexcept;
void close_fd(int fd) noexcept;

}  // namespace eddy::net::detail
