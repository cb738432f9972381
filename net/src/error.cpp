#include <eddy/net/error.hpp>

#include <string>

#include <netdb.h>

namespace eddy::net {
namespace {

class net_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "eddy.net"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::unexpected_eof:
        return "unexpected end of stream";
    }
    return "unknown eddy.net error";
  }
};

class gai_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "getaddrinfo"; }
  std::string message(int ev) const override { return ::gai_strerror(ev); }
  std::error_condition default_error_condition(int ev) const noexcept override {
    if (ev == EAI_AGAIN) return std::errc::resource_unavailable_try_again;
    if (ev == EAI_MEMORY) return std::errc::not_enough_memory;
    return {ev, *this};
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const net_category c;
  return c;
}

const std::error_category& resolve_category() noexcept {
  static const gai_category c;
  return c;
}

}  // namespace eddy::net
