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

#include "net/src/http/open_beneath.hpp"
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
    case EXDEV:  // the path resolves outside the root
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

namespace detail {

// O_NONBLOCK: opening a FIFO must not block; non-regular files are refused later.
constexpr int open_flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;

int open_beneath_openat2(int dir_fd, const std::string& rel) noexcept {
#if defined(__linux__) && defined(SYS_openat2)
  ::open_how how{};
  how.flags = open_flags;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  auto fd = ::syscall(SYS_openat2, dir_fd, rel.c_str(), &how, sizeof how);
  return fd >= 0 ? static_cast<int>(fd) : -errno;
#else
  (void)dir_fd;
  (void)rel;
  return -ENOSYS;
#endif
}

int open_beneath_realpath(const std::string& root, const std::string& rel) noexcept {
  std::string full = root + "/" + rel;
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(full.c_str(), nullptr), &std::free);
  if (!real) return -errno;
  std::string_view resolved = real.get();
  bool beneath =
      root == "/" || (resolved.size() > root.size() && resolved.substr(0, root.size()) == root &&
                      resolved[root.size()] == '/');
  if (!beneath) return -EXDEV;
  int fd = ::open(real.get(), open_flags | O_NOFOLLOW);
  return fd >= 0 ? fd : -errno;
}

}  // namespace detail

result<static_file> static_root::open(std::string_view raw) const {
  auto rel = safe_relative_path(raw);
  if (!rel) return rel.error();
  int fd = detail::open_beneath_openat2(dir_.get(), *rel);
  // ENOSYS: no openat2; EPERM: a seccomp filter that does not know openat2.
  if (fd == -ENOSYS || fd == -EPERM) fd = detail::open_beneath_realpath(path_, *rel);
  if (fd < 0) return open_error(-fd);
  file_handle file(fd);
  struct ::stat st {};
  if (::fstat(fd, &st) != 0) return errno_code(errno);
  if (!S_ISREG(st.st_mode)) return std::make_error_code(std::errc::no_such_file_or_directory);
  return static_file{std::move(file), static_cast<std::uint64_t>(st.st_size),
                     content_type_for(*rel)};
}

}  // namespace eddy::net::http
