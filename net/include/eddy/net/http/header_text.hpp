// header_text.hpp: the wire form of a response's header fields, kept inline up to
// a few typical lines so that building a small response allocates nothing (a
// handler builds one per request; issue 6 wants no allocation per request).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace eddy::net::http {

/// Text that lives in an inline array while it fits, and in a std::string after.
class header_text {
 public:
  /// Bytes kept inline: one Content-Type line ("Content-Type: text/plain;
  /// charset=utf-8\r\n" is 41). Kept small: a response is moved through the
  /// connection's coroutine frame, which every idle connection keeps.
  static constexpr std::size_t inline_capacity = 48;

  header_text() = default;

  /// Appends `s`; moves everything to the heap the first time it does not fit.
  header_text& append(std::string_view s) {
    if (!heap_.empty() || size_ + s.size() > inline_capacity) {
      if (heap_.empty()) heap_.assign(inline_, size_);
      heap_.append(s);
      return *this;
    }
    if (!s.empty()) std::memcpy(inline_ + size_, s.data(), s.size());
    size_ += static_cast<std::uint32_t>(s.size());
    return *this;
  }

  /// Appends the line "name: value\r\n".
  void append_field(std::string_view name, std::string_view value) {
    const std::size_t n = name.size() + value.size() + 4;
    if (!heap_.empty() || size_ + n > inline_capacity) {
      append(name).append(": ").append(value).append("\r\n");
      return;
    }
    char* p = inline_ + size_;
    std::memcpy(p, name.data(), name.size());
    p += name.size();
    *p++ = ':';
    *p++ = ' ';
    if (!value.empty()) std::memcpy(p, value.data(), value.size());
    p += value.size();
    *p++ = '\r';
    *p = '\n';
    size_ += static_cast<std::uint32_t>(n);
  }

  std::string_view view() const noexcept {
    return heap_.empty() ? std::string_view(inline_, size_) : std::string_view(heap_);
  }
  operator std::string_view() const noexcept { return view(); }

 private:
  std::uint32_t size_ = 0;  // bytes in inline_ (unused once heap_ holds the text)
  char inline_[inline_capacity];
  std::string heap_;
};

}  // namespace eddy::net::http
