// address.hpp: an IPv4 or IPv6 socket address (IP + port, and an IPv6 scope id).
// A plain value: no platform headers, comparable, cheap to copy.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace eddy::net {

enum class ip_family : std::uint8_t { v4, v6 };

class address {
 public:
  /// 0.0.0.0:0.
  constexpr address() noexcept = default;

  static constexpr address v4(std::array<std::uint8_t, 4> ip, std::uint16_t port) noexcept {
    address a;
    for (std::size_t i = 0; i < 4; ++i) a.bytes_[i] = ip[i];
    a.port_ = port;
    return a;
  }
  static constexpr address v6(const std::array<std::uint8_t, 16>& ip, std::uint16_t port,
                              std::uint32_t scope_id = 0) noexcept {
    address a;
    a.bytes_ = ip;
    a.port_ = port;
    a.scope_id_ = scope_id;
    a.family_ = ip_family::v6;
    return a;
  }
  static constexpr address loopback_v4(std::uint16_t port = 0) noexcept {
    return v4({127, 0, 0, 1}, port);
  }
  static constexpr address loopback_v6(std::uint16_t port = 0) noexcept {
    std::array<std::uint8_t, 16> ip{};
    ip[15] = 1;
    return v6(ip, port);
  }
  static constexpr address any_v4(std::uint16_t port = 0) noexcept { return v4({}, port); }
  static constexpr address any_v6(std::uint16_t port = 0) noexcept { return v6({}, port); }

  /// "127.0.0.1:8080" or "[::1]:8080" (a "%scope" suffix inside the brackets is
  /// accepted). No name lookup: use resolve() for host names.
  [[nodiscard]] static std::optional<address> parse(std::string_view text);
  /// An IP literal without port ("10.0.0.1", "::1", "fe80::1%2") and a port.
  [[nodiscard]] static std::optional<address> parse_ip(std::string_view ip, std::uint16_t port);

  [[nodiscard]] constexpr ip_family family() const noexcept { return family_; }
  [[nodiscard]] constexpr bool is_v4() const noexcept { return family_ == ip_family::v4; }
  [[nodiscard]] constexpr bool is_v6() const noexcept { return family_ == ip_family::v6; }
  [[nodiscard]] constexpr std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] constexpr std::uint32_t scope_id() const noexcept { return scope_id_; }
  /// The IP in network order: 4 bytes used for v4, 16 for v6.
  [[nodiscard]] constexpr const std::array<std::uint8_t, 16>& bytes() const noexcept {
    return bytes_;
  }
  [[nodiscard]] constexpr address with_port(std::uint16_t port) const noexcept {
    address a = *this;
    a.port_ = port;
    return a;
  }

  /// The IP alone: "127.0.0.1", "::1".
  [[nodiscard]] std::string ip_string() const;
  /// "127.0.0.1:80", "[::1]:80".
  [[nodiscard]] std::string to_string() const;

  friend constexpr bool operator==(const address&, const address&) noexcept = default;

 private:
  std::array<std::uint8_t, 16> bytes_{};
  std::uint16_t port_ = 0;
  std::uint32_t scope_id_ = 0;
  ip_family family_ = ip_family::v4;
};

}  // namespace eddy::net
