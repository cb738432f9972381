#include <eddy/net/unix.hpp>

#include <cstddef>
#include <cstring>

#include <sys/socket.h>
#include <sys/un.h>

#include "net/src/sys.hpp"

namespace eddy::net {
namespace {

result<socklen_t> to_sockaddr_un(std::string_view path, sockaddr_un& sun) noexcept {
  std::memset(&sun, 0, sizeof sun);
  sun.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof sun.sun_path) {
    return std::make_error_code(std::errc::filename_too_long);
  }
  std::memcpy(sun.sun_path, path.data(), path.size());
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() +
                                (path.front() == '\0' ? 0 : 1));
}

}  // namespace

polled<result<unix_stream>> unix_connect_future::poll(context& cx) {
  polled<result<detail::socket_io>> p = pending;
  if (!connector_.started()) {
    sockaddr_un sun;
    auto len = to_sockaddr_un(path_, sun);
    if (!len) return result<unix_stream>(len.error());
    auto fd = detail::open_socket(AF_UNIX, SOCK_STREAM);
    if (!fd) return result<unix_stream>(fd.error());
    p = connector_.start(cx, *fd, &sun, *len);
  } else {
    p = connector_.poll(cx);
  }
  if (p.is_pending()) return pending;
  auto& r = p.value();
  if (!r) return result<unix_stream>(r.error());
  return result<unix_stream>(unix_stream(std::move(*r)));
}

result<std::pair<unix_stream, unix_stream>> unix_stream::pair() noexcept {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) < 0) {
    return detail::last_error();
  }
  auto a = detail::socket_io::adopt(fds[0]);
  if (!a) {
    detail::close_fd(fds[1]);
    return a.error();
  }
  auto b = detail::socket_io::adopt(fds[1]);
  if (!b) return b.error();
  return std::pair<unix_stream, unix_stream>(unix_stream(std::move(*a)),
                                             unix_stream(std::move(*b)));
}

result<unix_listener> unix_listener::bind(std::string_view path, int backlog) noexcept {
  sockaddr_un sun;
  auto len = to_sockaddr_un(path, sun);
  if (!len) return len.error();
  auto fd = detail::open_socket(AF_UNIX, SOCK_STREAM);
  if (!fd) return fd.error();
  if (::bind(*fd, reinterpret_cast<const sockaddr*>(&sun), *len) < 0 ||
      ::listen(*fd, backlog) < 0) {
    auto ec = detail::last_error();
    detail::close_fd(*fd);
    return ec;
  }
  auto io = detail::socket_io::adopt(*fd);
  if (!io) return io.error();
  unix_listener l;
  l.io_ = std::move(*io);
  return l;
}

polled<result<unix_stream>> unix_listener::poll_accept(context& cx) {
  auto p = io_.poll_accept(cx);
  if (p.is_pending()) return pending;
  auto& r = p.value();
  if (!r) return result<unix_stream>(r.error());
  return result<unix_stream>(unix_stream(std::move(*r)));
}

}  // namespace eddy::net
