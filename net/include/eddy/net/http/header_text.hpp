// header_text.hpp: the wire form of a response's header fields, kept inline up to
// a few typical lines so that building a small response allocates nothing (a
// handler builds one per request; issue 6 wants no allocation per request).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <eddy/net/http/detail/copy_short.hpp>

namespace eddy::net::http {

/// Text that lives in an inline array while it fits, and in a std::string after.
class header_text {
 public:
  /// Bytes kept inline: one Content-Type line ("Content-Type: text/plain;
  /// charset=utf-8\r\n" is 41). Kept small: a response is moved from the
  /// handler's frame to where it is written.
  static constexpr std::size_t inline_capacity = 48;

  header_text() = default;

  /// Appends `s`; moves everything to the heap the first time it does not fit.
  header_text& append(std::string_view s);
  /// Appends the line "name: value\r\n". Inline while the text stays inline, so
  /// that a field a handler sets with constant name and value is a few moves.
  void append_field(std::string_view name, std::string_view value) {
    const std::size_t n = name.size() + value.size() + 4;
    if (heap_ || size_ + n > inline_capacity) [[unlikely]] {
      append_field_to_heap(name, value);
      return;
    }
    char* p = inline_ + size_;
    detail::copy_short(p, name.data(), name.size());
    p += name.size();
    p[0] = ':';
    p[1] = ' ';
    detail::copy_short(p + 2, value.data(), value.size());
    p += 2 + value.size();
    p[0] = '\r';
    p[1] = '\n';
    size_ += static_cast<std::uint32_t>(n);
  }

  std::string_view view() const noexcept {
    return heap_ ? std::string_view(*heap_) : std::string_view(inline_, size_);
  }
  operator std::string_view() const noexcept { return view(); }

 private:
  void to_heap(std::size_t more);
  void append_field_to_heap(std::string_view name, std::string_view value);

  std::uint32_t size_ = 0;  // bytes in inline_ (unused once heap_ holds the text)
  char inline_[inline_capacity];
  // Behind a pointer: moving a response (twice per request) moves 8 bytes here,
  // not a std::string with its small-string copy.
  std::unique_ptr<std::string> heap_;
};

}  // namespace eddy::net::http
