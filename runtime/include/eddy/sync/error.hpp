// error.hpp: the error conditions of eddy's channels and sync primitives, in their
// own std::error_category ("eddy.sync"). All are permanent for the handle that
// reports them except `empty`, `full` and `lagged`, which are transient.
#pragma once

#include <system_error>

namespace eddy::sync {

enum class errc {
  /// The other side is gone or closed the channel: no value will ever arrive, or
  /// a value sent would never be received. Permanent.
  closed = 1,
  /// try_recv: nothing to receive yet. Transient.
  empty,
  /// try_send / try_acquire-like calls: no capacity right now. Transient.
  full,
  /// broadcast: the receiver fell behind and missed values (how many is in the
  /// recv_result); its next recv returns the oldest value still held. Transient.
  lagged,
};

const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace eddy::sync

template <>
struct std::is_error_code_enum<eddy::sync::errc> : std::true_type {};
