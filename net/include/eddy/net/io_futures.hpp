// io_futures.hpp: the leaf futures socket operations return. Each borrows its
// socket and buffers, so both must outlive the future (as with Tokio's borrows).
// `co_await stream.read(buf)` runs the syscall at once and suspends only if it
// would block; a spurious wake costs one syscall.
#pragma once

#include <cstddef>
#include <span>

#include <eddy/context.hpp>
#include <eddy/net/address.hpp>
#include <eddy/net/detail/socket_io.hpp>
#include <eddy/net/error.hpp>
#include <eddy/polled.hpp>
#include <eddy/result.hpp>

namespace eddy::net {

/// Reads at most buf.size() bytes; 0 means end of stream (or an empty buf).
class read_future {
 public:
  read_future(detail::socket_io& io, std::span<std::byte> buf) noexcept : io_(&io), buf_(buf) {}
  polled<result<std::size_t>> poll(context& cx) { return io_->poll_read(cx, buf_); }

 private:
  detail::socket_io* io_;
  std::span<std::byte> buf_;
};

/// Writes at most buf.size() bytes (at least one unless buf is empty).
class write_future {
 public:
  write_future(detail::socket_io& io, std::span<const std::byte> buf) noexcept
      : io_(&io), buf_(buf) {}
  polled<result<std::size_t>> poll(context& cx) { return io_->poll_write(cx, buf_); }

 private:
  detail::socket_io* io_;
  std::span<const std::byte> buf_;
};

/// Scatter read into up to 64 buffers (more are ignored by one call).
class readv_future {
 public:
  readv_future(detail::socket_io& io, std::span<const std::span<std::byte>> bufs) noexcept
      : io_(&io), bufs_(bufs) {}
  polled<result<std::size_t>> poll(context& cx) { return io_->poll_readv(cx, bufs_); }

 private:
  detail::socket_io* io_;
  std::span<const std::span<std::byte>> bufs_;
};

/// Gather write from up to 64 buffers (more are ignored by one call).
class writev_future {
 public:
  writev_future(detail::socket_io& io, std::span<const std::span<const std::byte>> bufs) noexcept
      : io_(&io), bufs_(bufs) {}
  polled<result<std::size_t>> poll(context& cx) { return io_->poll_writev(cx, bufs_); }

 private:
  detail::socket_io* io_;
  std::span<const std::span<const std::byte>> bufs_;
};

/// Fills buf completely; errc::unexpected_eof if the stream ends first (the bytes
/// read so far are in buf, and lost as a count).
class read_exact_future {
 public:
  read_exact_future(detail::socket_io& io, std::span<std::byte> buf) noexcept
      : io_(&io), buf_(buf) {}
  polled<result<void>> poll(context& cx) {
    while (done_ < buf_.size()) {
      auto p = io_->poll_read(cx, buf_.subspan(done_));
      if (p.is_pending()) return pending;
      auto& r = p.value();
      if (!r) return result<void>(r.error());
      if (*r == 0) return result<void>(errc::unexpected_eof);
      done_ += *r;
    }
    return result<void>{};
  }

 private:
  detail::socket_io* io_;
  std::span<std::byte> buf_;
  std::size_t done_ = 0;
};

/// Writes all of buf (several syscalls if need be).
class write_all_future {
 public:
  write_all_future(detail::socket_io& io, std::span<const std::byte> buf) noexcept
      : io_(&io), buf_(buf) {}
  polled<result<void>> poll(context& cx) {
    while (done_ < buf_.size()) {
      auto p = io_->poll_write(cx, buf_.subspan(done_));
      if (p.is_pending()) return pending;
      auto& r = p.value();
      if (!r) return result<void>(r.error());
      done_ += *r;
    }
    return result<void>{};
  }

 private:
  detail::socket_io* io_;
  std::span<const std::byte> buf_;
  std::size_t done_ = 0;
};

/// Receives one datagram (truncated to buf.size()) and its sender.
class recv_from_future {
 public:
  recv_from_future(detail::socket_io& io, std::span<std::byte> buf) noexcept
      : io_(&io), buf_(buf) {}
  polled<result<datagram>> poll(context& cx) { return io_->poll_recv_from(cx, buf_); }

 private:
  detail::socket_io* io_;
  std::span<std::byte> buf_;
};

/// Sends one datagram to `to`.
class send_to_future {
 public:
  send_to_future(detail::socket_io& io, std::span<const std::byte> buf, const address& to) noexcept
      : io_(&io), buf_(buf), to_(to) {}
  polled<result<std::size_t>> poll(context& cx) { return io_->poll_send_to(cx, buf_, to_); }

 private:
  detail::socket_io* io_;
  std::span<const std::byte> buf_;
  address to_;
};

}  // namespace eddy::net
