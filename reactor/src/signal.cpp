// signal.cpp: signal_stream over signalfd (Linux).
#include <eddy/reactor/signal.hpp>

#include <cerrno>
#include <csignal>
#include <system_error>

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

namespace eddy {

namespace {
std::error_code last_error() noexcept { return {errno, std::system_category()}; }
}  // namespace

result<signal_stream> signal_stream::open(std::initializer_list<int> signals) noexcept {
  sigset_t set;
  sigemptyset(&set);
  for (int s : signals) {
    if (sigaddset(&set, s) != 0) return result<signal_stream>(last_error());
  }
  // Blocked first: a delivery between here and the signalfd stays pending.
  if (int rc = pthread_sigmask(SIG_BLOCK, &set, nullptr); rc != 0)
    return result<signal_stream>(std::error_code(rc, std::system_category()));
  const int fd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) return result<signal_stream>(last_error());
  auto reg = io_registration::open(fd);
  if (!reg) {
    ::close(fd);
    return result<signal_stream>(reg.error());
  }
  signal_stream s;
  s.fd_ = fd;
  s.reg_ = std::move(*reg);
  return s;
}

polled<result<int>> signal_stream::poll_recv(context& cx) {
  if (fd_ < 0) return result<int>(std::make_error_code(std::errc::bad_file_descriptor));
  return reg_.poll_io(cx, io_direction::read, [&]() -> result<int> {
    signalfd_siginfo info;
    for (;;) {
      const ssize_t n = ::read(fd_, &info, sizeof info);
      if (n == static_cast<ssize_t>(sizeof info)) return static_cast<int>(info.ssi_signo);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return result<int>(last_error());
      return result<int>(std::make_error_code(std::errc::io_error));  // short read: never
    }
  });
}

void signal_stream::close() noexcept {
  if (fd_ < 0) return;
  reg_.reset();  // deregister before the fd number can be reused
  ::close(fd_);
  fd_ = -1;
}

}  // namespace eddy
