// stream_socket.hpp: the byte-stream operations TCP and Unix stream sockets share.
//
// Thread safety: one pending read-side and one pending write-side operation at a
// time (they may run on different tasks or threads). Do not move or destroy the
// stream while an operation on it is pending.
#pragma once

#include <cstddef>
#include <span>
#include <utility>

#include <eddy/net/detail/socket_io.hpp>
#include <eddy/net/io_futures.hpp>
#include <eddy/result.hpp>

namespace eddy::net::detail {

class stream_socket {
 public:
  /// Reads at most buf.size() bytes; completes with 0 at end of stream.
  [[nodiscard]] read_future read(std::span<std::byte> buf) noexcept { return {io_, buf}; }
  /// Writes at most buf.size() bytes; completes with the count written.
  [[nodiscard]] write_future write(std::span<const std::byte> buf) noexcept { return {io_, buf}; }
  [[nodiscard]] readv_future readv(std::span<const std::span<std::byte>> bufs) noexcept {
    return {io_, bufs};
  }
  [[nodiscard]] writev_future writev(std::span<const std::span<const std::byte>> bufs) noexcept {
    return {io_, bufs};
  }
  /// Fills buf; errc::unexpected_eof if the stream ends first.
  [[nodiscard]] read_exact_future read_exact(std::span<std::byte> buf) noexcept {
    return {io_, buf};
  }
  /// Writes all of buf.
  [[nodiscard]] write_all_future write_all(std::span<const std::byte> buf) noexcept {
    return {io_, buf};
  }

  /// Shuts down one or both directions (shutdown(write) sends FIN; reads go on).
  result<void> shutdown(shutdown_how how) noexcept;

  [[nodiscard]] bool is_open() const noexcept { return io_.is_open(); }
  /// Deregisters and closes now (the destructor does the same).
  void close() noexcept { io_.close(); }
  [[nodiscard]] int native_handle() const noexcept { return io_.fd(); }

  /// For hand-written futures: the underlying socket.
  [[nodiscard]] socket_io& io() noexcept { return io_; }

 protected:
  stream_socket() noexcept = default;
  explicit stream_socket(socket_io io) noexcept : io_(std::move(io)) {}

  socket_io io_;
};

}  // namespace eddy::net::detail
