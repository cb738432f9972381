// udp_socket.hpp: a UDP socket. send_to/recv_from address each datagram;
// after connect(), send/recv talk to that one peer (and only its datagrams are
// received).
//
// Thread safety: one pending receive and one pending send at a time. Do not move
// the socket while an operation is pending.
#pragma once

#include <cstddef>
#include <span>

#include <eddy/net/address.hpp>
#include <eddy/net/detail/socket_io.hpp>
#include <eddy/net/io_futures.hpp>
#include <eddy/result.hpp>

namespace eddy::net {

class udp_socket {
 public:
  udp_socket() noexcept = default;

  /// A socket bound to `at` (port 0: any free port), registered with the
  /// current runtime's reactor.
  [[nodiscard]] static result<udp_socket> bind(const address& at) noexcept;

  /// Sets the default peer (no packet is sent; errors like ENETUNREACH show now).
  result<void> connect(const address& peer) noexcept;

  [[nodiscard]] send_to_future send_to(std::span<const std::byte> buf, const address& to) noexcept {
    return {io_, buf, to};
  }
  [[nodiscard]] recv_from_future recv_from(std::span<std::byte> buf) noexcept { return {io_, buf}; }
  /// After connect(): one datagram to the peer.
  [[nodiscard]] write_future send(std::span<const std::byte> buf) noexcept { return {io_, buf}; }
  /// After connect(): one datagram from the peer (truncated to buf.size()).
  [[nodiscard]] read_future recv(std::span<std::byte> buf) noexcept { return {io_, buf}; }

  [[nodiscard]] result<address> local_address() const noexcept;
  [[nodiscard]] result<address> peer_address() const noexcept;
  [[nodiscard]] bool is_open() const noexcept { return io_.is_open(); }
  void close() noexcept { io_.close(); }
  [[nodiscard]] int native_handle() const noexcept { return io_.fd(); }

 private:
  detail::socket_io io_;
};

}  // namespace eddy::net
