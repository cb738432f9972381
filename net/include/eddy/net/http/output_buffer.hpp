// output_buffer.hpp: bytes waiting to be written to one connection, as a list of
// segments that map onto iovecs so that every pipelined response of a batch goes
// out in one writev (files in between go out with sendfile).
//
// Small pieces (heads, short bodies) are copied into one arena and consecutive
// copies share a segment: a batch of small responses is a single iovec. Large
// bodies are referenced (borrowed or owned) instead of copied.
//
// Thread safety: none; one per connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <eddy/net/http/file_handle.hpp>

struct iovec;  // <sys/uio.h>; only gather() needs it complete, at the caller.

namespace eddy::net::http {

class output_buffer {
 public:
  /// Copies `bytes` into the arena.
  void append(std::string_view bytes);
  /// References `bytes`; they must stay valid until consumed.
  void append_borrowed(std::string_view bytes);
  /// Takes ownership of `bytes` until consumed (no copy).
  void append_owned(std::string&& bytes);
  /// `length` bytes of `file` from `offset`; the descriptor is closed once sent.
  void append_file(file_handle&& file, std::uint64_t offset, std::uint64_t length);

  /// Bytes (memory and file) not yet consumed.
  std::uint64_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  /// Fills up to `max` iovecs with the memory segments at the front, stopping at
  /// the first file segment. Returns how many were filled (0 if a file is first).
  std::size_t gather(::iovec* out, std::size_t max) const noexcept;

  struct file_slice {
    int fd;
    std::uint64_t offset;
    std::uint64_t length;
  };
  /// The remaining part of the front segment if it is a file.
  std::optional<file_slice> front_file() const noexcept;

  /// `n` bytes from the front were written (writev) or sent (sendfile).
  void consume(std::uint64_t n) noexcept;
  /// Drops everything (closes owned files), keeping capacity.
  void clear() noexcept;

  /// Everything as one string (files read with pread); for tests and the fuzzer.
  std::string to_string() const;

 private:
  enum class kind : std::uint8_t { arena, borrowed, owned, file };
  struct segment {
    kind k;
    std::size_t index;     // owned_/files_ index, or arena offset
    const char* data;      // borrowed
    std::uint64_t offset;  // file offset
    std::uint64_t length;
  };
  const char* memory_of(const segment& s) const noexcept;

  std::string arena_;
  std::vector<segment> segments_;
  std::vector<std::string> owned_;
  std::vector<file_handle> files_;
  std::size_t front_ = 0;         // first segment not fully consumed
  std::uint64_t front_done_ = 0;  // bytes of segments_[front_] already consumed
  std::uint64_t size_ = 0;
};

}  // namespace eddy::net::http
