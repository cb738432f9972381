#include <eddy/net/udp_socket.hpp>

#include <sys/socket.h>

#include "net/src/sys.hpp"

namespace eddy::net {

result<udp_socket> udp_socket::bind(const address& at) noexcept {
  auto fd = detail::open_socket(at.is_v4() ? AF_INET : AF_INET6, SOCK_DGRAM);
  if (!fd) return fd.error();
  sockaddr_storage ss;
  const socklen_t len = detail::to_sockaddr(at, ss);
  if (::bind(*fd, reinterpret_cast<const sockaddr*>(&ss), len) < 0) {
    auto ec = detail::last_error();
    detail::close_fd(*fd);
    return ec;
  }
  auto io = detail::socket_io::adopt(*fd);
  if (!io) return io.error();
  udp_socket s;
  s.io_ = std::move(*io);
  return s;
}

result<void> udp_socket::connect(const address& peer) noexcept {
  sockaddr_storage ss;
  const socklen_t len = detail::to_sockaddr(peer, ss);
  return detail::void_result(detail::retry_eintr(
      [&] { return ::connect(io_.fd(), reinterpret_cast<const sockaddr*>(&ss), len); }));
}

result<address> udp_socket::local_address() const noexcept {
  return detail::local_address(io_.fd());
}
result<address> udp_socket::peer_address() const noexcept { return detail::peer_address(io_.fd()); }

}  // namespace eddy::net
