// static_file.cpp: the lexical path check and the two ways of opening beneath a
// root (openat2 where the kernel has it, realpath + O_NOFOLLOW elsewhere).
#include <eddy/net/http/static_file.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <memory>

#if defined(__linux__)
#include <linux/openat2.h>
#include <sys/syscall.h>
#endif

#include "net/src/http/target.hpp"

namespace eddy::net::http {
namespace {

std::error_code errno_code(int e) { return {e, std::system_category()}; }

// Maps why an open failed to the three documented outcomes.
std::error_code open_error(int e) {
  switch (e) {
    case ENOENT:
    case ENOTDIR:
    case ENAMETOOLONG:
      return std::make_error_code(std::errc::no_such_file_or_directory);
    case EXDEV:  // openat2: the path resolves outside the root
    case ELOOP:  // O_NOFOLLOW met a symlink (raced the realpath check)
    case EACCES:
    case EPERM:
      return std::make_error_code(std::errc::permission_denied);
    default:
      return errno_code(e);
  }
}

bool is_forbidden_byte(char c) noexcept {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f || c == '/' || c == '\\';
}

}  // namespace

result<std::string> safe_relative_path(std::string_view raw) {
  const auto refused = std::make_error_code(std::errc::invalid_argument);
  if (raw.empty() || raw.front() == '/') return refused;  // absolute or the root itself
  std::string out;
  std::string segment;
  while (true) {
    auto slash = raw.find('/');
    auto encoded = raw.substr(0, slash);
    if (encoded.empty()) return refused;  // "a//b" or a trailing '/'
    segment.clear();
    // Decoding per segment means an encoded '/' can never create a separator; it
    // is refused below together with '\\' and control bytes (NUL included).
    if (!detail::percent_decode(encoded, segment)) return refused;
    for (char c : segment) {
      if (is_forbidden_byte(c)) return refused;
    }
    if (segment == "." || segment == "..") return refused;
    if (!out.empty()) out += '/';
    out += segment;
    if (slash == std::string_view::npos) break;
    raw.remove_prefix(slash + 1);
  }
  return out;
}

result<static_root> static_root::open_root(const std::string& dir) {
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(dir.c_str(), nullptr), &std::free);
  if (!real) return errno_code(errno);
  int fd = ::open(real.get(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_code(errno);
  static_root root;
  root.path_ = real.get();
  root.dir_ = file_handle(fd);
  return root;
}

result<static_file> static_root::open(std::string_view raw) const {
  auto rel = safe_relative_path(raw);
  if (!rel) return rel.error();
  // O_NONBLOCK: opening a FIFO must not block; non-regular files are refused below.
  constexpr int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  int fd = -1;
  bool fallback = true;
#if defined(__linux__) && defined(SYS_openat2)
  ::open_how how{};
  how.flags = flags;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  fd = static_cast<int>(::syscall(SYS_openat2, dir_.get(), rel->c_str(), &how, sizeof how));
  // ENOSYS: kernel before 5.6; EPERM: a seccomp filter that does not know openat2.
  if (fd < 0 && errno != ENOSYS && errno != EPERM) return open_error(errno);
  fallback = fd < 0;
#endif
  if (fallback) {
    std::string full = path_ + "/" + *rel;
    std::unique_ptr<char, decltype(&std::free)> real(::realpath(full.c_str(), nullptr), &std::free);
    if (!real) return open_error(errno);
    std::string_view resolved = real.get();
    bool beneath = path_ == "/" ||
                   (resolved.size() > path_.size() && resolved.substr(0, path_.size()) == path_ &&
                    resolved[path_.size()] == '/');
    if (!beneath) return std::make_error_code(std::errc::permission_denied);
    fd = ::open(real.get(), flags | O_NOFOLLOW);
    if (fd < 0) return open_error(errno);
  }
  file_handle file(fd);
  struct ::stat st {};
  if (::fstat(fd, &st) != 0) return errno_code(errno);
  if (!S_ISREG(st.st_mode)) return std::make_error_code(std::errc::no_such_file_or_directory);
  return static_file{std::move(file), static_cast<std::uint64_t>(st.st_size),
                     content_type_for(*rel)};
}

}  // namespace eddy::net::http
