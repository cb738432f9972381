// output_buffer.cpp: segments over an arena, owned strings and files.
//
// Invariants:
//   1. Arena segments store offsets, not pointers: the arena may reallocate while
//      responses are appended.
//   2. Consumed segments keep their resources (owned strings, open files) until
//      the whole buffer drains; then everything is cleared at once, the segment
//      list's capacity kept (the first 4 inline) and the arena given back to the
//      block cache.
//   3. tail_ names the last segment when it is an arena segment ending at
//      arena_size_ (appends extend it); any other segment appended resets it.
#include <eddy/net/http/output_buffer.hpp>

#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>

#include "net/src/http/buffer_pool.hpp"

namespace eddy::net::http {

void file_handle::reset() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

output_buffer::~output_buffer() { detail::give_back(arena_, arena_cap_); }

void output_buffer::swap(output_buffer& o) noexcept {
  using std::swap;
  swap(arena_, o.arena_);
  swap(arena_size_, o.arena_size_);
  swap(arena_cap_, o.arena_cap_);
  swap(tail_, o.tail_);
  swap(segments_, o.segments_);
  swap(owned_, o.owned_);
  swap(files_, o.files_);
  swap(front_, o.front_);
  swap(front_done_, o.front_done_);
  swap(size_, o.size_);
}

void output_buffer::reserve_arena(std::size_t more) {
  if (more <= arena_cap_ - arena_size_) return;
  const std::size_t cap = std::max({arena_cap_ * 2, arena_size_ + more, detail::pooled_block_size});
  auto bigger = detail::take_block(cap);
  if (arena_size_ > 0) std::memcpy(bigger.get(), arena_.get(), arena_size_);
  detail::give_back(arena_, arena_cap_);
  arena_ = std::move(bigger);
  arena_cap_ = cap;
}

void output_buffer::append_slow(std::string_view bytes) {
  if (bytes.empty()) return;
  reserve_arena(bytes.size());
  if (tail_ == no_tail) {
    segments_.push_back({kind::arena, arena_size_, nullptr, 0, 0});
    tail_ = segments_.size() - 1;
  }
  std::memcpy(arena_.get() + arena_size_, bytes.data(), bytes.size());
  arena_size_ += bytes.size();
  segments_[tail_].length += bytes.size();
  size_ += bytes.size();
}

char* output_buffer::prepare_slow(std::size_t n) {
  reserve_arena(n);
  if (tail_ == no_tail) {
    segments_.push_back({kind::arena, arena_size_, nullptr, 0, 0});
    tail_ = segments_.size() - 1;
  }
  return arena_.get() + arena_size_;
}

void output_buffer::append_borrowed(std::string_view bytes) {
  if (bytes.empty()) return;
  segments_.push_back({kind::borrowed, 0, bytes.data(), 0, bytes.size()});
  tail_ = no_tail;
  size_ += bytes.size();
}

void output_buffer::append_owned(std::string&& bytes) {
  if (bytes.empty()) return;
  std::size_t n = bytes.size();
  owned_.push_back(std::move(bytes));
  segments_.push_back({kind::owned, owned_.size() - 1, nullptr, 0, n});
  tail_ = no_tail;
  size_ += n;
}

void output_buffer::append_file(file_handle&& file, std::uint64_t offset, std::uint64_t length) {
  if (length == 0) return;
  files_.push_back(std::move(file));
  segments_.push_back({kind::file, files_.size() - 1, nullptr, offset, length});
  tail_ = no_tail;
  size_ += length;
}

const char* output_buffer::memory_of(const segment& s) const noexcept {
  switch (s.k) {
    case kind::arena:
      return arena_.get() + s.index;
    case kind::borrowed:
      return s.data;
    case kind::owned:
      return owned_[s.index].data();
    case kind::file:
      break;
  }
  return nullptr;
}

std::size_t output_buffer::gather(::iovec* out, std::size_t max) const noexcept {
  std::size_t n = 0;
  for (std::size_t i = front_; i < segments_.size() && n < max; ++i) {
    const auto& s = segments_[i];
    if (s.k == kind::file) break;
    std::uint64_t skip = i == front_ ? front_done_ : 0;
    out[n].iov_base = const_cast<char*>(memory_of(s) + skip);
    out[n].iov_len = static_cast<std::size_t>(s.length - skip);
    ++n;
  }
  return n;
}

std::optional<output_buffer::file_slice> output_buffer::front_file() const noexcept {
  if (front_ >= segments_.size() || segments_[front_].k != kind::file) return std::nullopt;
  const auto& s = segments_[front_];
  return file_slice{files_[s.index].get(), s.offset + front_done_, s.length - front_done_};
}

void output_buffer::consume(std::uint64_t n) noexcept {
  assert(n <= size_);
  size_ -= n;
  while (n > 0 && front_ < segments_.size()) {
    auto left = segments_[front_].length - front_done_;
    if (n < left) {
      front_done_ += n;
      return;
    }
    n -= left;
    ++front_;
    front_done_ = 0;
  }
  if (size_ == 0) clear();  // invariant 2
}

void output_buffer::clear() noexcept {
  detail::give_back(arena_, arena_cap_);  // drained: the block goes back to the cache
  arena_size_ = arena_cap_ = 0;
  tail_ = no_tail;
  segments_.clear();
  owned_.clear();
  files_.clear();
  front_ = 0;
  front_done_ = 0;
  size_ = 0;
}

std::string output_buffer::to_string() const {
  std::string out;
  for (std::size_t i = front_; i < segments_.size(); ++i) {
    const auto& s = segments_[i];
    std::uint64_t skip = i == front_ ? front_done_ : 0;
    if (s.k != kind::file) {
      out.append(memory_of(s) + skip, static_cast<std::size_t>(s.length - skip));
      continue;
    }
    std::string chunk(static_cast<std::size_t>(s.length - skip), '\0');
    std::size_t got = 0;
    while (got < chunk.size()) {
      auto r = ::pread(files_[s.index].get(), chunk.data() + got, chunk.size() - got,
                       static_cast<off_t>(s.offset + skip + got));
      if (r <= 0) break;
      got += static_cast<std::size_t>(r);
    }
    chunk.resize(got);
    out += chunk;
  }
  return out;
}

}  // namespace eddy::net::http
