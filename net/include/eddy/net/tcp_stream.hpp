// tcp_stream.hpp: a connected TCP socket. Reads and writes are leaf futures that
// complete at once when the kernel can, and results carry std::error_code
// (ECONNREFUSED, ECONNRESET, ETIMEDOUT...): no exceptions on the I/O path.
//
//   auto s = co_await eddy::net::tcp_stream::connect(addr);
//   if (!s) co_return s.error();
//   co_await s->write_all(std::as_bytes(std::span(msg)));
//
// Thread safety: see detail/stream_socket.hpp. SIGPIPE is never raised.
#pragma once

#include <eddy/context.hpp>
#include <eddy/net/address.hpp>
#include <eddy/net/detail/socket_io.hpp>
#include <eddy/net/detail/stream_socket.hpp>
#include <eddy/polled.hpp>
#include <eddy/result.hpp>

namespace eddy::net {

class tcp_stream;

/// Completes with a connected tcp_stream or the connect error. Must be polled on
/// a runtime thread (errc::no_runtime otherwise).
class tcp_connect_future {
 public:
  explicit tcp_connect_future(const address& to) noexcept : to_(to) {}
  polled<result<tcp_stream>> poll(context& cx);

 private:
  address to_;
  detail::connector connector_;
};

class tcp_stream : public detail::stream_socket {
 public:
  tcp_stream() noexcept = default;
  /// Adopts a connected, registered socket (what accept produces).
  explicit tcp_stream(detail::socket_io io) noexcept : stream_socket(std::move(io)) {}

  [[nodiscard]] static tcp_connect_future connect(const address& to) noexcept {
    return tcp_connect_future(to);
  }

  /// TCP_NODELAY: send small segments at once instead of coalescing (Nagle).
  result<void> set_nodelay(bool on) noexcept;
  [[nodiscard]] result<bool> nodelay() const noexcept;
  [[nodiscard]] result<address> local_address() const noexcept;
  [[nodiscard]] result<address> peer_address() const noexcept;
};

}  // namespace eddy::net
