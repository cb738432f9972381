// open_beneath.hpp: the two ways static_root opens a file without leaving its root.
// Private to eddy_http; declared here so that tests can run both on one machine.
#pragma once

#include <string>

namespace eddy::net::http::detail {

/// openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) relative to `dir_fd`: race-free.
/// Returns the descriptor, or -errno: -EXDEV when the path resolves outside, and
/// -ENOSYS where openat2 does not exist (non-Linux, kernel before 5.6).
int open_beneath_openat2(int dir_fd, const std::string& rel) noexcept;

/// realpath(root/rel) must lie under `root` (itself a realpath); the result is then
/// opened with O_NOFOLLOW, so a symlink swapped in between fails with ELOOP.
/// Returns the descriptor or -errno (-EXDEV when outside).
int open_beneath_realpath(const std::string& root, const std::string& rel) noexcept;

}  // namespace eddy::net::http::detail
