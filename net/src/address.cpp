#include <eddy/net/address.hpp>

#include <charconv>
#include <cstring>

#include <arpa/inet.h>
#include <net/if.h>

namespace eddy::net {

std::optional<address> address::parse_ip(std::string_view ip, std::uint16_t port) {
  if (ip.empty() || ip.size() >= INET6_ADDRSTRLEN + IF_NAMESIZE) return std::nullopt;
  char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
  std::memcpy(buf, ip.data(), ip.size());
  buf[ip.size()] = '\0';
  std::array<std::uint8_t, 16> bytes{};
  if (ip.find(':') == std::string_view::npos) {
    if (::inet_pton(AF_INET, buf, bytes.data()) != 1) return std::nullopt;
    return v4({bytes[0], bytes[1], bytes[2], bytes[3]}, port);
  }
  std::uint32_t scope = 0;
  if (char* pct = std::strchr(buf, '%')) {
    *pct = '\0';
    const char* name = pct + 1;
    const auto [end, ec] = std::from_chars(name, name + std::strlen(name), scope);
    if (ec != std::errc{} || *end != '\0') {
      scope = ::if_nametoindex(name);
      if (scope == 0) return std::nullopt;
    }
  }
  if (::inet_pton(AF_INET6, buf, bytes.data()) != 1) return std::nullopt;
  return v6(bytes, port, scope);
}

std::optional<address> address::parse(std::string_view text) {
  std::string_view host, port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
    if (host.find(':') == std::string_view::npos) return std::nullopt;  // "[1.2.3.4]:80"
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return std::nullopt;  // v6 needs brackets
  }
  std::uint16_t port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size()) {
    return std::nullopt;
  }
  return parse_ip(host, port);
}

std::string address::ip_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  std::string s(buf);
  if (is_v6() && scope_id_ != 0) s += '%' + std::to_string(scope_id_);
  return s;
}

std::string address::to_string() const {
  if (is_v4()) return ip_string() + ':' + std::to_string(port_);
  return '[' + ip_string() + "]:" + std::to_string(port_);
}

}  // namespace eddy::net
