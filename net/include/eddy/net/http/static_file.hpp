// static_file.hpp: serving files from a directory without ever leaving it, and
// Content-Type by extension.
//
// A path from a request is checked twice. Lexically (safe_relative_path): it is
// percent-decoded segment by segment and refused if it is absolute, holds a `.` or
// `..` segment (also when spelled %2e%2e), an encoded slash or backslash, a NUL or
// another control byte, or malformed escapes. Then on the file system
// (static_root::open): on Linux openat2(RESOLVE_BENEATH) refuses any symlink that
// resolves outside the root; elsewhere (or if openat2 is unavailable) the realpath
// of the file must lie under the realpath of the root, and the file is opened with
// O_NOFOLLOW.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <eddy/net/http/file_handle.hpp>
#include <eddy/result.hpp>

namespace eddy::net::http {

/// `raw` (percent-encoded, e.g. the part of raw_path() after "/static/") as a safe
/// relative path "a/b.txt", or std::errc::invalid_argument.
result<std::string> safe_relative_path(std::string_view raw);

/// The media type for `path`'s extension (case-insensitive), with charset=utf-8 for
/// text; "application/octet-stream" when unknown.
std::string_view content_type_for(std::string_view path) noexcept;

struct static_file {
  file_handle file;
  std::uint64_t size = 0;
  std::string_view content_type;
};

class static_root {
 public:
  /// The directory `dir` as a root (it must exist); errors are errno values.
  static result<static_root> open_root(const std::string& dir);

  /// Opens the regular file `raw` (percent-encoded, relative) under the root.
  /// Errors: invalid_argument (refused path), no_such_file_or_directory (missing, or
  /// not a regular file), permission_denied (escapes the root or unreadable).
  /// Answer 404 for all of them so that nothing outside the root is revealed.
  result<static_file> open(std::string_view raw) const;

  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;  // realpath of the root
  file_handle dir_;   // the root directory, for openat2
};

}  // namespace eddy::net::http
