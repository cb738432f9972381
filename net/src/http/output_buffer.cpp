// output_buffer.cpp: segments over an arena, owned strings and files.
//
// Invariants:
//   1. Arena segments store offsets, not pointers: the arena may reallocate while
//      responses are appended.
//   2. Consumed segments keep their resources (owned strings, open files) until
//      the whole buffer drains; then everything is cleared at once, capacity kept.
#include <eddy/net/http/output_buffer.hpp>

#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>

namespace eddy::net::http {

void file_handle::reset() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void output_buffer::append(std::string_view bytes) {
  if (bytes.empty()) return;
  // Extend the last segment when it is arena bytes ending where this copy lands.
  if (!segments_.empty() && segments_.size() > front_) {
    auto& last = segments_.back();
    if (last.k == kind::arena && last.index + last.length == arena_.size()) {
      arena_.append(bytes);
      last.length += bytes.size();
      size_ += bytes.size();
      return;
    }
  }
  segments_.push_back({kind::arena, arena_.size(), nullptr, 0, bytes.size()});
  arena_.append(bytes);
  size_ += bytes.size();
}

void output_buffer::append_borrowed(std::string_view bytes) {
  if (bytes.empty()) return;
  segments_.push_back({kind::borrowed, 0, bytes.data(), 0, bytes.size()});
  size_ += bytes.size();
}

void output_buffer::append_owned(std::string&& bytes) {
  if (bytes.empty()) return;
  std::size_t n = bytes.size();
  owned_.push_back(std::move(bytes));
  segments_.push_back({kind::owned, owned_.size() - 1, nullptr, 0, n});
  size_ += n;
}

void output_buffer::append_file(file_handle&& file, std::uint64_t offset, std::uint64_t length) {
  if (length == 0) return;
  files_.push_back(std::move(file));
  segments_.push_back({kind::file, files_.size() - 1, nullptr, offset, length});
  size_ += length;
}

const char* output_buffer::memory_of(const segment& s) const noexcept {
  switch (s.k) {
    case kind::arena:
      return arena_.data() + s.index;
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
  arena_.clear();
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
