// unix.hpp: Unix-domain stream sockets (a filesystem path, or a Linux abstract
// name when the path starts with '\0').
//
// Thread safety: as tcp_stream / tcp_listener.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <eddy/context.hpp>
#include <eddy/net/detail/socket_io.hpp>
#include <eddy/net/detail/stream_socket.hpp>
#include <eddy/polled.hpp>
#include <eddy/result.hpp>

namespace eddy::net {

class unix_stream;
class unix_listener;

class unix_connect_future {
 public:
  explicit unix_connect_future(std::string path) noexcept : path_(std::move(path)) {}
  polled<result<unix_stream>> poll(context& cx);

 private:
  std::string path_;
  detail::connector connector_;
};

class unix_stream : public detail::stream_socket {
 public:
  unix_stream() noexcept = default;
  explicit unix_stream(detail::socket_io io) noexcept : stream_socket(std::move(io)) {}

  [[nodiscard]] static unix_connect_future connect(std::string path) {
    return unix_connect_future(std::move(path));
  }
  /// Two connected streams (socketpair), registered with the current runtime.
  [[nodiscard]] static result<std::pair<unix_stream, unix_stream>> pair() noexcept;
};

class unix_accept_future {
 public:
  explicit unix_accept_future(unix_listener& l) noexcept : listener_(&l) {}
  polled<result<unix_stream>> poll(context& cx);

 private:
  unix_listener* listener_;
};

class unix_listener {
 public:
  unix_listener() noexcept = default;
  /// Binds `path` (which must not exist: EADDRINUSE) and listens. The socket
  /// file is left behind on close, as with every Unix socket; unlink it yourself.
  [[nodiscard]] static result<unix_listener> bind(std::string_view path,
                                                  int backlog = 1024) noexcept;

  [[nodiscard]] unix_accept_future accept() noexcept { return unix_accept_future(*this); }
  polled<result<unix_stream>> poll_accept(context& cx);
  [[nodiscard]] bool is_open() const noexcept { return io_.is_open(); }
  void close() noexcept { io_.close(); }
  [[nodiscard]] int native_handle() const noexcept { return io_.fd(); }

 private:
  detail::socket_io io_;
};

inline polled<result<unix_stream>> unix_accept_future::poll(context& cx) {
  return listener_->poll_accept(cx);
}

}  // namespace eddy::net
