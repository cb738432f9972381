// header_text.cpp: appending, inline while the text fits.
#include <eddy/net/http/header_text.hpp>

#include <eddy/net/http/detail/copy_short.hpp>

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

void header_text::append_field_to_heap(std::string_view name, std::string_view value) {
  if (!heap_) to_heap(name.size() + value.size() + 4);
  heap_->append(name).append(": ").append(value).append("\r\n");
}

}  // namespace eddy::net::http
