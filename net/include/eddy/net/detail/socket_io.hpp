// socket_io.hpp: an owned, non-blocking socket fd plus its reactor registration:
// what every eddy socket type is built on. Each poll_* tries the syscall first and
// only on EAGAIN stores the waker (io_registration::poll_io).
//
// Thread safety: one pending operation per direction at a time; otherwise like an
// io_registration. Moving a socket_io while an operation on it is pending is a
// precondition violation (the operation's future points to it).
#pragma once

#include <cstddef>
#include <span>
#include <utility>

#include <eddy/context.hpp>
#include <eddy/net/address.hpp>
#include <eddy/polled.hpp>
#include <eddy/reactor/registration.hpp>
#include <eddy/result.hpp>

namespace eddy::net {

/// What shutdown() closes.
enum class shutdown_how { read, write, both };

/// One received datagram: its size and sender.
struct datagram {
  std::size_t size = 0;
  address from;
};

namespace detail {

class socket_io {
 public:
  socket_io() noexcept = default;
  /// Takes ownership of `fd` (non-blocking) and registers it with the current
  /// runtime's reactor; on failure the fd is closed.
  [[nodiscard]] static result<socket_io> adopt(int fd) noexcept;

  socket_io(socket_io&& o) noexcept : fd_(std::exchange(o.fd_, -1)), reg_(std::move(o.reg_)) {}
  socket_io& operator=(socket_io&& o) noexcept {
    if (this != &o) {
      close();
      fd_ = std::exchange(o.fd_, -1);
      reg_ = std::move(o.reg_);
    }
    return *this;
  }
  socket_io(const socket_io&) = delete;
  socket_io& operator=(const socket_io&) = delete;
  ~socket_io() { close(); }

  /// Deregisters (dropping stored wakers) and closes the fd.
  void close() noexcept;
  [[nodiscard]] bool is_open() const noexcept { return fd_ >= 0; }
  [[nodiscard]] int fd() const noexcept { return fd_; }
  [[nodiscard]] io_registration& registration() noexcept { return reg_; }

  polled<result<std::size_t>> poll_read(context& cx, std::span<std::byte> buf);
  polled<result<std::size_t>> poll_write(context& cx, std::span<const std::byte> buf);
  polled<result<std::size_t>> poll_readv(context& cx, std::span<const std::span<std::byte>> bufs);
  polled<result<std::size_t>> poll_writev(context& cx,
                                          std::span<const std::span<const std::byte>> bufs);
  polled<result<datagram>> poll_recv_from(context& cx, std::span<std::byte> buf);
  polled<result<std::size_t>> poll_send_to(context& cx, std::span<const std::byte> buf,
                                           const address& to);
  /// accept4 (non-blocking, close-on-exec), the new socket registered. Out of
  /// descriptors (EMFILE, ENFILE, ENOBUFS, ENOMEM): waits for one to be freed or
  /// a short back-off, never busy-looping, then tries again.
  polled<result<socket_io>> poll_accept(context& cx);

 private:
  int fd_ = -1;
  io_registration reg_;
};

/// A non-blocking connect in progress. start() once, then poll() until ready.
class connector {
 public:
  /// Connects `fd` (owned from here on) to the sockaddr at sa/len.
  polled<result<socket_io>> start(context& cx, int fd, const void* sa, unsigned len);
  polled<result<socket_io>> poll(context& cx);
  [[nodiscard]] bool started() const noexcept { return started_; }

 private:
  socket_io io_;
  bool started_ = false;
};

}  // namespace detail
}  // namespace eddy::net
