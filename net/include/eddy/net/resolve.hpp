// resolve.hpp: name resolution (getaddrinfo) off the executor thread.
//
//   auto addrs = co_await eddy::net::resolve("localhost", 8080);
//
// Each lookup runs on the blocking pool (spawn_blocking); an IP literal is
// parsed in place. Dropping the future before it completes is safe: the lookup
// finishes in the background and its result is discarded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <eddy/context.hpp>
#include <eddy/net/address.hpp>
#include <eddy/polled.hpp>
#include <eddy/result.hpp>
#include <eddy/spawn_blocking.hpp>

namespace eddy::net {

namespace detail {
/// getaddrinfo, blocking: runs on the blocking pool.
result<std::vector<address>> lookup(const std::string& host, std::uint16_t port);
}  // namespace detail

/// Completes with every address of `host` (IPv4 and IPv6, in getaddrinfo's
/// preference order, duplicates removed) with `port` set, or an error of
/// resolve_category() (EAI_NONAME...) or of the system category.
class resolve_future {
 public:
  resolve_future(std::string host, std::uint16_t port) : host_(std::move(host)), port_(port) {}
  polled<result<std::vector<address>>> poll(context& cx);

 private:
  std::string host_;
  std::uint16_t port_;
  std::optional<blocking_handle<result<std::vector<address>>>> job_;
};

[[nodiscard]] inline resolve_future resolve(std::string host, std::uint16_t port) {
  return resolve_future(std::move(host), port);
}

}  // namespace eddy::net
