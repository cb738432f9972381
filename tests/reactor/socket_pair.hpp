// socket_pair.hpp: a connected, non-blocking AF_UNIX stream pair for reactor tests.
#pragma once

#include <cerrno>
#include <cstddef>
#include <system_error>
#include <utility>

#include <sys/socket.h>
#include <unistd.h>

namespace eddy::test {

struct socket_pair {
  int a = -1;
  int b = -1;

  socket_pair() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) < 0) {
      throw std::system_error(errno, std::system_category(), "socketpair");
    }
    a = fds[0];
    b = fds[1];
  }
  socket_pair(const socket_pair&) = delete;
  socket_pair& operator=(const socket_pair&) = delete;
  ~socket_pair() {
    close_a();
    close_b();
  }
  void close_a() {
    if (a >= 0) ::close(std::exchange(a, -1));
  }
  void close_b() {
    if (b >= 0) ::close(std::exchange(b, -1));
  }
};

/// Writes one byte to fd; true on success.
inline bool put_byte(int fd, char c = 'x') { return ::send(fd, &c, 1, MSG_NOSIGNAL) == 1; }

/// Reads whatever is there: bytes read, or -1 with errno (EAGAIN when empty).
inline ssize_t drain(int fd) {
  char buf[4096];
  ssize_t total = 0;
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      total += n;
      continue;
    }
    return total > 0 ? total : n;
  }
}

/// Fills fd's send buffer until EAGAIN; returns the bytes written.
inline std::size_t fill(int fd) {
  static char buf[65536];
  std::size_t total = 0;
  for (;;) {
    const ssize_t n = ::send(fd, buf, sizeof buf, MSG_NOSIGNAL);
    if (n <= 0) return total;
    total += static_cast<std::size_t>(n);
  }
}

}  // namespace eddy::test
