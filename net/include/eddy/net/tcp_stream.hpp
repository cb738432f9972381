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

#include <chrono>

#include <eddy/context.hpp>
#include <eddy/net/address.hpp>
#include <eddy/net/detail/socket_io.hpp>
#include <eddy/net/detail/stream_socket.hpp>
#include <eddy/polled.hpp>
#include <eddy/result.hpp>
#include <eddy/timer/timeout.hpp>

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

/// tcp_connect_future bounded in time: errc::timed_out when the handshake has not
/// finished by the deadline (the half-open socket is closed then). Needs a
/// runtime whose driver has timers.
class tcp_connect_timeout_future {
 public:
  tcp_connect_timeout_future(const address& to, timer::clock::time_point deadline) noexcept
      : inner_(tcp_connect_future(to), deadline) {}
  polled<result<tcp_stream>> poll(context& cx);

 private:
  timeout_future<tcp_connect_future> inner_;
};

class tcp_stream : public detail::stream_socket {
 public:
  tcp_stream() noexcept = default;
  /// Adopts a connected, registered socket (what accept produces).
  explicit tcp_stream(detail::socket_io io) noexcept : stream_socket(std::move(io)) {}

  [[nodiscard]] static tcp_connect_future connect(const address& to) noexcept {
    return tcp_connect_future(to);
  }
  template <class Rep, class Period>
  [[nodiscard]] static tcp_connect_timeout_future connect(
      const address& to, std::chrono::duration<Rep, Period> timeout) noexcept {
    return {to, timer::deadline_after(timeout)};
  }

  /// TCP_NODELAY: send small segments at once instead of coalescing (Nagle).
  result<void> set_nodelay(bool on) noexcept;
  [[nodiscard]] result<bool> nodelay() const noexcept;
  [[nodiscard]] result<address> local_address() const noexcept;
  [[nodiscard]] result<address> peer_address() const noexcept;
};

}  // namespace eddy::net

namespace eddy::net {

inline polled<result<tcp_stream>> tcp_connect_timeout_future::poll(context& cx) {
  auto p = inner_.poll(cx);
  if (p.is_pending()) return pending;
  auto& r = p.value();
  if (!r) return result<tcp_stream>(r.error());
  return std::move(*r);
}

}  // namespace eddy::net
