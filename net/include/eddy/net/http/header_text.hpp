// header_text.hpp: the wire form of a response's header fields, kept inline up to
// a few typical lines so that building a small response allocates nothing (a
// handler builds one per request; issue 6 wants no allocation per request).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

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
  /// Appends the line "name: value\r\n".
  void append_field(std::string_view name, std::string_view value);

  std::string_view view() const noexcept {
    return heap_ ? std::string_view(*heap_) : std::string_view(inline_, size_);
  }
  operator std::string_view() const noexcept { return view(); }

 private:
  void to_heap(std::size_t more);

  std::uint32_t size_ = 0;  // bytes in inline_ (unused once heap_ holds the text)
  char inline_[inline_capacity];
  // Behind a pointer: moving a response (twice per request) moves 8 bytes here,
  // not a std::string with its small-string copy.
  std::unique_ptr<std::string> heap_;
};

}  // namespace eddy::net::http
