// registration.hpp: ties one file descriptor to the reactor and keeps the wakers of
// the tasks waiting for it to become readable or writable. Every socket owns one.
//
// The protocol an I/O operation follows (poll_io() packages it):
//   1. poll_ready(cx, direction): ready at once if the last known readiness says
//      so; otherwise stores cx's waker and returns pending.
//   2. try the syscall. Success or a real error: done.
//   3. EAGAIN: clear_ready(event, direction), then go back to 1. The clear only
//      takes effect if no event arrived since `event` was observed (its tick), so a
//      clear never hides a fresh edge (see reactor/src/io_slot.hpp).
// A fresh registration starts readable and writable: the first operation always
// tries the syscall, and reading data that is already there never suspends.
//
// Thread safety: an io_registration may be used from any thread, but by one at a
// time per direction (one pending read and one pending write). The reactor may
// dispatch events concurrently from its own thread. The reactor must outlive every
// registration made with it.
#pragma once

#include <cstdint>
#include <system_error>
#include <type_traits>
#include <utility>

#include <eddy/context.hpp>
#include <eddy/polled.hpp>
#include <eddy/result.hpp>

namespace eddy {

class reactor;

namespace detail {
class reactor_impl;
struct io_slot;
}  // namespace detail

enum class io_direction : std::uint8_t { read, write };

/// A snapshot of a registration's readiness and the reactor tick that produced it.
struct io_ready {
  static constexpr std::uint8_t readable = 1;
  static constexpr std::uint8_t writable = 2;
  static constexpr std::uint8_t read_closed = 4;   // peer shut down its write side
  static constexpr std::uint8_t write_closed = 8;  // hang-up: writing will fail
  static constexpr std::uint8_t error = 16;        // a socket error is pending

  std::uint8_t bits = 0;
  std::uint32_t tick = 0;

  [[nodiscard]] constexpr bool is_readable() const noexcept { return (bits & readable) != 0; }
  [[nodiscard]] constexpr bool is_writable() const noexcept { return (bits & writable) != 0; }
  [[nodiscard]] constexpr bool is_read_closed() const noexcept { return (bits & read_closed) != 0; }
  [[nodiscard]] constexpr bool is_write_closed() const noexcept {
    return (bits & write_closed) != 0;
  }
  [[nodiscard]] constexpr bool is_error() const noexcept { return (bits & error) != 0; }
};

/// True for the "try again later" errors of a non-blocking syscall.
[[nodiscard]] inline bool is_would_block(const std::error_code& ec) noexcept {
  return ec == std::errc::resource_unavailable_try_again || ec == std::errc::operation_would_block;
}

class io_registration {
 public:
  /// An empty registration (registered() is false).
  io_registration() noexcept = default;

  /// Registers `fd` (non-blocking, owned by the caller, kept open until this
  /// registration is reset or destroyed) with `r`.
  [[nodiscard]] static result<io_registration> open(reactor& r, int fd) noexcept;
  /// Registers `fd` with the reactor of the runtime running on this thread;
  /// errc::no_runtime outside one.
  [[nodiscard]] static result<io_registration> open(int fd) noexcept;

  io_registration(io_registration&& o) noexcept
      : reactor_(std::exchange(o.reactor_, nullptr)),
        slot_(std::exchange(o.slot_, nullptr)),
        generation_(o.generation_) {}
  io_registration& operator=(io_registration&& o) noexcept {
    if (this != &o) {
      reset();
      reactor_ = std::exchange(o.reactor_, nullptr);
      slot_ = std::exchange(o.slot_, nullptr);
      generation_ = o.generation_;
    }
    return *this;
  }
  io_registration(const io_registration&) = delete;
  io_registration& operator=(const io_registration&) = delete;
  ~io_registration() { reset(); }

  /// Deregisters the fd (call before closing it) and drops the stored wakers
  /// without waking them. Events still in flight for it are ignored.
  void reset() noexcept;

  [[nodiscard]] bool registered() const noexcept { return slot_ != nullptr; }
  explicit operator bool() const noexcept { return registered(); }
  [[nodiscard]] int fd() const noexcept;

  /// Ready if `d` is (as far as the reactor knows) ready; else stores cx's waker,
  /// to be woken on the next readiness edge in direction `d`, and returns pending.
  /// Precondition: registered().
  [[nodiscard]] polled<io_ready> poll_ready(context& cx, io_direction d) noexcept;

  /// Forgets the readiness in direction `d` that `ev` reported, after the syscall
  /// said EAGAIN; a no-op if a newer event arrived since.
  void clear_ready(const io_ready& ev, io_direction d) noexcept;

  /// Runs `op` (returning result<T>) until it succeeds, fails with something other
  /// than EAGAIN, or the fd is not ready (then pending, with cx's waker stored).
  template <class F>
  auto poll_io(context& cx, io_direction d, F&& op) -> polled<std::invoke_result_t<F&>> {
    for (;;) {
      auto ready = poll_ready(cx, d);
      if (ready.is_pending()) return pending;
      auto r = op();
      if (!r && is_would_block(r.error())) {
        clear_ready(ready.value(), d);
        continue;
      }
      return r;
    }
  }

  /// For operations failing with EMFILE/ENFILE: wakes cx's waker when another
  /// registration of the same reactor is dropped (a descriptor was probably freed)
  /// or after a short back-off, whichever comes first. Never busy-loops.
  void wait_for_descriptor(context& cx) noexcept;

 private:
  detail::reactor_impl* reactor_ = nullptr;
  detail::io_slot* slot_ = nullptr;
  std::uint32_t generation_ = 0;
};

}  // namespace eddy
