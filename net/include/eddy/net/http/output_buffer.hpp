// output_buffer.hpp: bytes waiting to be written to one connection, as a list of
// segments that map onto iovecs so that every pipelined response of a batch goes
// out in one writev (files in between go out with sendfile).
//
// Small pieces (heads, short bodies) are copied into one arena and consecutive
// copies share a segment: a batch of small responses is a single iovec. Large
// bodies are referenced (borrowed or owned) instead of copied. The arena is a
// 16 KiB block from a per-thread cache, given back whenever the buffer drains:
// an idle connection holds none, and a busy one calls no malloc.
//
// Thread safety: none; one per connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/container/small_vector.hpp>

#include <eddy/net/http/file_handle.hpp>

struct iovec;  // <sys/uio.h>; only gather() needs it complete, at the caller.

namespace eddy::net::http {

class output_buffer {
 public:
  output_buffer() = default;
  ~output_buffer();
  output_buffer(output_buffer&& o) noexcept { swap(o); }
  output_buffer& operator=(output_buffer&& o) noexcept {
    output_buffer tmp(std::move(o));
    swap(tmp);
    return *this;
  }

  /// Copies `bytes` into the arena.
  void append(std::string_view bytes) {
    // Fast path: extend the open arena segment at the end, if the block has room.
    if (tail_ != no_tail && bytes.size() <= arena_cap_ - arena_size_) {
      if (!bytes.empty()) std::memcpy(arena_.get() + arena_size_, bytes.data(), bytes.size());
      arena_size_ += bytes.size();
      segments_[tail_].length += bytes.size();
      size_ += bytes.size();
      return;
    }
    append_slow(bytes);
  }
  /// At least `n` contiguous writable bytes at the end of the arena, for a
  /// writer that formats in place (one bounds check for a whole response head).
  /// Write at most `n` bytes there, then commit() how many; nothing else may be
  /// appended in between.
  char* prepare(std::size_t n) {
    if (tail_ != no_tail && n <= arena_cap_ - arena_size_) return arena_.get() + arena_size_;
    return prepare_slow(n);
  }
  /// Makes the first `n` bytes written after prepare() part of the buffer.
  void commit(std::size_t n) noexcept {
    arena_size_ += n;
    segments_[tail_].length += n;
    size_ += n;
  }
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
  static constexpr std::size_t no_tail = ~std::size_t{0};

  const char* memory_of(const segment& s) const noexcept;
  void swap(output_buffer& o) noexcept;
  void append_slow(std::string_view bytes);
  char* prepare_slow(std::size_t n);
  void reserve_arena(std::size_t more);

  std::unique_ptr<char[]> arena_;  // buffer_pool block (or larger, from the heap)
  std::size_t arena_size_ = 0;
  std::size_t arena_cap_ = 0;
  std::size_t tail_ = no_tail;  // the arena segment that ends at arena_size_, if last
  // Inline room for a typical batch (the arena's run, a file, a borrowed body), so
  // that a buffer made per batch allocates nothing but its pooled arena block.
  boost::container::small_vector<segment, 4> segments_;
  std::vector<std::string> owned_;
  std::vector<file_handle> files_;
  std::size_t front_ = 0;         // first segment not fully consumed
  std::uint64_t front_done_ = 0;  // bytes of segments_[front_] already consumed
  std::uint64_t size_ = 0;
};

}  // namespace eddy::net::http
