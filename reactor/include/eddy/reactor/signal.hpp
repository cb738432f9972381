// signal.hpp: POSIX signals as futures, read through a signalfd registered with
// the reactor (Tokio's tokio::signal::unix). No handler runs in signal context.
//
//   auto sigs = eddy::signal_stream::open({SIGINT, SIGTERM});
//   int signo = *co_await sigs->recv();
//
// Opening a stream blocks its signals in the calling thread's mask (as a signalfd
// requires: a blocked signal stays pending until the fd reads it). Open it before
// creating other threads, which inherit the mask; a thread that still has the
// signal unblocked would take the default action instead (for SIGTERM: exit).
// The signals stay blocked after the stream is gone, so a later delivery is held
// pending rather than killing the process.
//
// Two streams for the same signal compete: each delivery is read by one of them.
//
// Thread safety: one pending recv() at a time; a stream is used by one task.
#pragma once

#include <initializer_list>
#include <utility>

#include <eddy/context.hpp>
#include <eddy/polled.hpp>
#include <eddy/reactor/registration.hpp>
#include <eddy/result.hpp>

namespace eddy {

class signal_stream;

/// Completes with the number of the next delivered signal, or an error.
class signal_recv_future {
 public:
  explicit signal_recv_future(signal_stream& s) noexcept : stream_(&s) {}
  polled<result<int>> poll(context& cx);

 private:
  signal_stream* stream_;
};

class signal_stream {
 public:
  signal_stream() noexcept = default;
  /// Blocks `signals` in this thread's mask and opens a signalfd for them,
  /// registered with the current runtime's reactor (errc::no_runtime outside one).
  [[nodiscard]] static result<signal_stream> open(std::initializer_list<int> signals) noexcept;

  signal_stream(signal_stream&& o) noexcept
      : fd_(std::exchange(o.fd_, -1)), reg_(std::move(o.reg_)) {}
  signal_stream& operator=(signal_stream&& o) noexcept {
    if (this != &o) {
      close();
      fd_ = std::exchange(o.fd_, -1);
      reg_ = std::move(o.reg_);
    }
    return *this;
  }
  signal_stream(const signal_stream&) = delete;
  signal_stream& operator=(const signal_stream&) = delete;
  ~signal_stream() { close(); }

  /// The next delivery of one of the stream's signals (deliveries of one signal
  /// that arrive before it is read merge into one, as POSIX signals do).
  [[nodiscard]] signal_recv_future recv() noexcept { return signal_recv_future(*this); }
  polled<result<int>> poll_recv(context& cx);

  [[nodiscard]] bool is_open() const noexcept { return fd_ >= 0; }
  /// Deregisters and closes the signalfd (the signals stay blocked).
  void close() noexcept;

 private:
  int fd_ = -1;
  io_registration reg_;
};

inline polled<result<int>> signal_recv_future::poll(context& cx) { return stream_->poll_recv(cx); }

/// Completes on the next delivery of `signo`: `co_await eddy::signal(SIGTERM)`.
/// Opens a stream per call; errors (no runtime, bad signal) complete it at once.
class signal_future {
 public:
  explicit signal_future(int signo) noexcept : signo_(signo) {}
  polled<result<int>> poll(context& cx) {
    if (!opened_) {
      opened_ = true;
      auto s = signal_stream::open({signo_});
      if (!s) return result<int>(s.error());
      stream_ = std::move(*s);
    }
    return stream_.poll_recv(cx);
  }

 private:
  int signo_;
  bool opened_ = false;
  signal_stream stream_;
};

[[nodiscard]] inline signal_future signal(int signo) noexcept { return signal_future(signo); }

}  // namespace eddy
