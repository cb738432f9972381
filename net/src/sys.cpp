#include "net/src/sys.hpp"

#include <cstring>

#include <netinet/in.h>
#include <unistd.h>

namespace eddy::net::detail {

socklen_t to_sockaddr(const address& a, sockaddr_storage& out) noexcept {
  std::memset(&out, 0, sizeof out);
  if (a.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&out);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(a.port());
    std::memcpy(&sin->sin_addr, a.bytes().data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(a.port());
  sin6->sin6_scope_id = a.scope_id();
  std::memcpy(&sin6->sin6_addr, a.bytes().data(), 16);
  return sizeof(sockaddr_in6);
}

address from_sockaddr(const sockaddr_storage& ss) noexcept {
  if (ss.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
    std::array<std::uint8_t, 4> ip;
    std::memcpy(ip.data(), &sin->sin_addr, 4);
    return address::v4(ip, ntohs(sin->sin_port));
  }
  const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ss);
  std::array<std::uint8_t, 16> ip;
  std::memcpy(ip.data(), &sin6->sin6_addr, 16);
  return address::v6(ip, ntohs(sin6->sin6_port), sin6->sin6_scope_id);
}

result<int> open_socket(int domain, int type, int protocol) noexcept {
  const int fd = ::socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) return last_error();
  return fd;
}

namespace {
template <class F>
result<address> get_address(int fd, F&& getter) noexcept {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getter(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return last_error();
  if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) {
    return std::make_error_code(std::errc::address_family_not_supported);
  }
  return from_sockaddr(ss);
}
}  // namespace

result<address> local_address(int fd) noexcept { return get_address(fd, ::getsockname); }
result<address> peer_address(int fd) noexcept { return get_address(fd, ::getpeername); }

result<void> set_option(int fd, int level, int name, int value) noexcept {
  return void_result(::setsockopt(fd, level, name, &value, sizeof value));
}

std::error_code take_socket_error(int fd) noexcept {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return last_error();
  return err ? std::error_code(err, std::system_category()) : std::error_code{};
}

void close_fd(int fd) noexcept {
  // Never retry close() on EINTR: on Linux the fd is already gone.
  if (fd >= 0) ::close(fd);
}

}  // namespace eddy::net::detail
