#include <eddy/net/detail/stream_socket.hpp>
#include <eddy/net/tcp_listener.hpp>
#include <eddy/net/tcp_stream.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "net/src/sys.hpp"

namespace eddy::net {

namespace detail {
result<void> stream_socket::shutdown(shutdown_how how) noexcept {
  const int h = how == shutdown_how::read    ? SHUT_RD
                : how == shutdown_how::write ? SHUT_WR
                                             : SHUT_RDWR;
  return void_result(::shutdown(io_.fd(), h));
}
}  // namespace detail

polled<result<tcp_stream>> tcp_connect_future::poll(context& cx) {
  polled<result<detail::socket_io>> p = pending;
  if (!connector_.started()) {
    auto fd = detail::open_socket(to_.is_v4() ? AF_INET : AF_INET6, SOCK_STREAM);
    if (!fd) return result<tcp_stream>(fd.error());
    sockaddr_storage ss;
    const socklen_t len = detail::to_sockaddr(to_, ss);
    p = connector_.start(cx, *fd, &ss, len);
  } else {
    p = connector_.poll(cx);
  }
  if (p.is_pending()) return pending;
  auto& r = p.value();
  if (!r) return result<tcp_stream>(r.error());
  return result<tcp_stream>(tcp_stream(std::move(*r)));
}

result<void> tcp_stream::set_nodelay(bool on) noexcept {
  return detail::set_option(io_.fd(), IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0);
}

result<bool> tcp_stream::nodelay() const noexcept {
  int v = 0;
  socklen_t len = sizeof v;
  if (::getsockopt(io_.fd(), IPPROTO_TCP, TCP_NODELAY, &v, &len) < 0) return detail::last_error();
  return v != 0;
}

result<address> tcp_stream::local_address() const noexcept {
  return detail::local_address(io_.fd());
}
result<address> tcp_stream::peer_address() const noexcept { return detail::peer_address(io_.fd()); }

result<tcp_listener> tcp_listener::bind(const address& at, const listen_options& opts) noexcept {
  auto fd = detail::open_socket(at.is_v4() ? AF_INET : AF_INET6, SOCK_STREAM);
  if (!fd) return fd.error();
  auto fail = [&](std::error_code ec) {
    detail::close_fd(*fd);
    return ec;
  };
  if (auto r = detail::set_option(*fd, SOL_SOCKET, SO_REUSEADDR, 1); !r) return fail(r.error());
  if (opts.reuse_port) {
    if (auto r = detail::set_option(*fd, SOL_SOCKET, SO_REUSEPORT, 1); !r) return fail(r.error());
  }
  sockaddr_storage ss;
  const socklen_t len = detail::to_sockaddr(at, ss);
  if (::bind(*fd, reinterpret_cast<const sockaddr*>(&ss), len) < 0) {
    return fail(detail::last_error());
  }
  if (::listen(*fd, opts.backlog) < 0) return fail(detail::last_error());
  // Registered only now: a socket that is not listening yet reports EPOLLHUP.
  auto io = detail::socket_io::adopt(*fd);
  if (!io) return io.error();
  tcp_listener l;
  l.io_ = std::move(*io);
  return l;
}

polled<result<tcp_stream>> tcp_listener::poll_accept(context& cx) {
  auto p = io_.poll_accept(cx);
  if (p.is_pending()) return pending;
  auto& r = p.value();
  if (!r) return result<tcp_stream>(r.error());
  return result<tcp_stream>(tcp_stream(std::move(*r)));
}

result<address> tcp_listener::local_address() const noexcept {
  return detail::local_address(io_.fd());
}

}  // namespace eddy::net
