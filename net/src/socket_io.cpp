#include <eddy/net/detail/socket_io.hpp>

#include <algorithm>

#include <sys/socket.h>
#include <sys/uio.h>

#include "net/src/sys.hpp"

namespace eddy::net::detail {
namespace {

constexpr std::size_t max_iov = 64;

std::error_code closed_error() noexcept { return {EBADF, std::system_category()}; }

template <class Buffers>
std::size_t fill_iov(Buffers bufs, iovec (&iov)[max_iov]) noexcept {
  const std::size_t n = std::min(bufs.size(), max_iov);
  for (std::size_t i = 0; i < n; ++i) {
    iov[i].iov_base = const_cast<std::byte*>(bufs[i].data());  // sendmsg takes non-const
    iov[i].iov_len = bufs[i].size();
  }
  return n;
}

}  // namespace

result<socket_io> socket_io::adopt(int fd) noexcept {
  auto reg = io_registration::open(fd);
  if (!reg) {
    close_fd(fd);
    return reg.error();
  }
  socket_io s;
  s.fd_ = fd;
  s.reg_ = std::move(*reg);
  return s;
}

void socket_io::close() noexcept {
  reg_.reset();  // before close(): epoll must forget the fd while it is still ours
  close_fd(std::exchange(fd_, -1));
}

polled<result<std::size_t>> socket_io::poll_read(context& cx, std::span<std::byte> buf) {
  if (!reg_) return closed_error();
  return reg_.poll_io(cx, io_direction::read, [&] {
    return size_result(retry_eintr([&] { return ::recv(fd_, buf.data(), buf.size(), 0); }));
  });
}

polled<result<std::size_t>> socket_io::poll_write(context& cx, std::span<const std::byte> buf) {
  if (!reg_) return closed_error();
  return reg_.poll_io(cx, io_direction::write, [&] {
    return size_result(
        retry_eintr([&] { return ::send(fd_, buf.data(), buf.size(), MSG_NOSIGNAL); }));
  });
}

polled<result<std::size_t>> socket_io::poll_readv(context& cx,
                                                  std::span<const std::span<std::byte>> bufs) {
  if (!reg_) return closed_error();
  iovec iov[max_iov];
  const std::size_t n = fill_iov(bufs, iov);
  return reg_.poll_io(cx, io_direction::read, [&] {
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = n;
    return size_result(retry_eintr([&] { return ::recvmsg(fd_, &msg, 0); }));
  });
}

polled<result<std::size_t>> socket_io::poll_writev(
    context& cx, std::span<const std::span<const std::byte>> bufs) {
  if (!reg_) return closed_error();
  iovec iov[max_iov];
  const std::size_t n = fill_iov(bufs, iov);
  return reg_.poll_io(cx, io_direction::write, [&] {
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = n;
    return size_result(retry_eintr([&] { return ::sendmsg(fd_, &msg, MSG_NOSIGNAL); }));
  });
}

polled<result<datagram>> socket_io::poll_recv_from(context& cx, std::span<std::byte> buf) {
  if (!reg_) return closed_error();
  return reg_.poll_io(cx, io_direction::read, [&]() -> result<datagram> {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const ssize_t n = retry_eintr([&] {
      return ::recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&ss), &len);
    });
    if (n < 0) return last_error();
    datagram d;
    d.size = static_cast<std::size_t>(n);
    if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) d.from = from_sockaddr(ss);
    return d;
  });
}

polled<result<std::size_t>> socket_io::poll_send_to(context& cx, std::span<const std::byte> buf,
                                                    const address& to) {
  if (!reg_) return closed_error();
  sockaddr_storage ss;
  const socklen_t len = to_sockaddr(to, ss);
  return reg_.poll_io(cx, io_direction::write, [&] {
    return size_result(retry_eintr([&] {
      return ::sendto(fd_, buf.data(), buf.size(), MSG_NOSIGNAL,
                      reinterpret_cast<const sockaddr*>(&ss), len);
    }));
  });
}

polled<result<socket_io>> socket_io::poll_accept(context& cx) {
  if (!reg_) return result<socket_io>(closed_error());
  for (;;) {
    auto ready = reg_.poll_ready(cx, io_direction::read);
    if (ready.is_pending()) return pending;
    const int fd =
        retry_eintr([&] { return ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC); });
    if (fd >= 0) return adopt(fd);
    switch (errno) {
      case EAGAIN:
#if EAGAIN != EWOULDBLOCK
      case EWOULDBLOCK:
#endif
        reg_.clear_ready(ready.value(), io_direction::read);
        continue;
      case EMFILE:
      case ENFILE:
      case ENOBUFS:
      case ENOMEM:
        // The connection stays queued and readiness stays set: when woken we
        // retry accept4 at once. Waking comes from a freed registration or the
        // reactor's back-off deadline, so this never spins.
        reg_.wait_for_descriptor(cx);
        return pending;
      case ECONNABORTED:
      case EPROTO:
      case ENETDOWN:
      case ENOPROTOOPT:
      case EHOSTDOWN:
      case ENONET:
      case EHOSTUNREACH:
      case EOPNOTSUPP:
      case ENETUNREACH:
        continue;  // accept(2): that connection's own error; take the next one
      default:
        return result<socket_io>(last_error());
    }
  }
}

polled<result<socket_io>> connector::start(context& cx, int fd, const void* sa, unsigned len) {
  started_ = true;
  const int r = ::connect(fd, static_cast<const sockaddr*>(sa), static_cast<socklen_t>(len));
  // EINTR on a non-blocking connect: it goes on asynchronously, like EINPROGRESS.
  if (r < 0 && errno != EINPROGRESS && errno != EINTR) {
    auto ec = last_error();
    close_fd(fd);
    return result<socket_io>(ec);
  }
  auto io = socket_io::adopt(fd);
  if (!io) return result<socket_io>(io.error());
  if (r == 0) return io;
  io_ = std::move(*io);
  return poll(cx);
}

polled<result<socket_io>> connector::poll(context& cx) {
  for (;;) {
    auto ready = io_.registration().poll_ready(cx, io_direction::write);
    if (ready.is_pending()) return pending;
    if (auto ec = take_socket_error(io_.fd())) return result<socket_io>(ec);
    // Writable with no error may be the "assume ready" state of a fresh
    // registration: only a peer name proves the handshake completed.
    sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (::getpeername(io_.fd(), reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
      return std::move(io_);
    }
    if (errno != ENOTCONN) return result<socket_io>(last_error());
    io_.registration().clear_ready(ready.value(), io_direction::write);
  }
}

}  // namespace eddy::net::detail
