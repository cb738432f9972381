// error.hpp: eddy's own error conditions, in one std::error_category. System errors
// (ECONNREFUSED, EADDRINUSE...) stay in std::system_category().
#pragma once

#include <system_error>

namespace eddy {

enum class errc {
  /// A deadline passed before the operation completed. Transient: retrying may succeed.
  timed_out = 1,
  /// The operation or task was cancelled (abort(), a lost select). Permanent for that operation.
  cancelled,
  /// The runtime is shutting down or gone. Permanent.
  runtime_shutdown,
  /// Called from a thread that is not running an eddy runtime. Permanent for that call site.
  no_runtime,
};

const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace eddy

template <>
struct std::is_error_code_enum<eddy::errc> : std::true_type {};
