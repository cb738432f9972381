// tcp_listener.hpp: a listening TCP socket.
//
//   auto l = eddy::net::tcp_listener::bind(eddy::net::address::loopback_v4(0));
//   for (;;) { auto s = co_await l->accept(); ... }
//
// Accept never gives up on a full descriptor table: on EMFILE/ENFILE it waits
// until a registration is dropped or a short back-off passes, then resumes.
// Thread safety: one pending accept at a time; do not move the listener while
// an accept is pending.
#pragma once

#include <eddy/context.hpp>
#include <eddy/net/address.hpp>
#include <eddy/net/detail/socket_io.hpp>
#include <eddy/net/tcp_stream.hpp>
#include <eddy/polled.hpp>
#include <eddy/result.hpp>

namespace eddy::net {

struct listen_options {
  /// listen() backlog (the kernel caps it at net.core.somaxconn).
  int backlog = 1024;
  /// SO_REUSEPORT: several listeners on one port, the kernel balancing between
  /// them. SO_REUSEADDR is always set.
  bool reuse_port = false;
};

class tcp_listener;

/// Completes with the next accepted connection.
class tcp_accept_future {
 public:
  explicit tcp_accept_future(tcp_listener& l) noexcept : listener_(&l) {}
  polled<result<tcp_stream>> poll(context& cx);

 private:
  tcp_listener* listener_;
};

class tcp_listener {
 public:
  tcp_listener() noexcept = default;

  /// Binds and listens, registered with the current runtime's reactor
  /// (errc::no_runtime outside one). EADDRINUSE comes back as an error.
  [[nodiscard]] static result<tcp_listener> bind(const address& at,
                                                 const listen_options& opts = {}) noexcept;

  [[nodiscard]] tcp_accept_future accept() noexcept { return tcp_accept_future(*this); }
  polled<result<tcp_stream>> poll_accept(context& cx);

  [[nodiscard]] result<address> local_address() const noexcept;
  [[nodiscard]] bool is_open() const noexcept { return io_.is_open(); }
  void close() noexcept { io_.close(); }
  [[nodiscard]] int native_handle() const noexcept { return io_.fd(); }

 private:
  detail::socket_io io_;
};

inline polled<result<tcp_stream>> tcp_accept_future::poll(context& cx) {
  return listener_->poll_accept(cx);
}

}  // namespace eddy::net
