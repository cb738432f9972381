// header_text.cpp: appending, inline while the text fits.
#include <eddy/net/http/header_text.hpp>

#include "net/src/http/copy_short.hpp"

namespace eddy::net::http {

using detail::copy_short;

void header_text::to_heap(std::size_t more) {
  heap_ = std::make_unique<std::string>();
  heap_->reserve(size_ + more);
  heap_->assign(inline_, size_);
}

header_text& header_text::append(std::string_view s) {
  if (!heap_ && size_ + s.size() <= inline_capacity) {
    copy_short(inline_ + size_, s.data(), s.size());
    size_ += static_cast<std::uint32_t>(s.size());
    return *this;
  }
  if (!heap_) to_heap(s.size());
  heap_->append(s);
  return *this;
}

void header_text::append_field(std::string_view name, std::string_view value) {
  const std::size_t n = name.size() + value.size() + 4;
  if (heap_ || size_ + n > inline_capacity) {
    if (!heap_) to_heap(n);
    heap_->append(name).append(": ").append(value).append("\r\n");
    return;
  }
  char* p = inline_ + size_;
  copy_short(p, name.data(), name.size());
  p += name.size();
  *p++ = ':';
  *p++ = ' ';
  copy_short(p, value.data(), value.size());
  p += value.size();
  *p++ = '\r';
  *p = '\n';
  size_ += static_cast<std::uint32_t>(n);
}

}  // namespace eddy::net::http
