#include <eddy/net/resolve.hpp>

#include <algorithm>
#include <cstring>
#include <system_error>

#include <netdb.h>
#include <sys/socket.h>
#include <eddy/net/error.hpp>
#include <eddy/waker.hpp>

#include "net/src/sys.hpp"

namespace eddy::net {
namespace detail {

result<std::vector<address>> lookup(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* list = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &list);
  if (rc == EAI_SYSTEM) return last_error();
  if (rc != 0) return std::error_code(rc, resolve_category());
  std::vector<address> out;
  for (addrinfo* ai = list; ai; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    sockaddr_storage ss{};
    std::memcpy(&ss, ai->ai_addr, std::min<std::size_t>(ai->ai_addrlen, sizeof ss));
    const address a = from_sockaddr(ss).with_port(port);
    if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  }
  ::freeaddrinfo(list);
  if (out.empty()) return std::error_code(EAI_NONAME, resolve_category());
  return out;
}

}  // namespace detail

polled<result<std::vector<address>>> resolve_future::poll(context& cx) {
  if (!job_) {
    // An IP literal needs no lookup.
    if (auto a = address::parse_ip(host_, port_))
      return result<std::vector<address>>(std::vector{*a});
    try {
      job_.emplace(
          spawn_blocking([host = host_, port = port_] { return detail::lookup(host, port); }));
    } catch (const std::system_error& e) {
      return result<std::vector<address>>(e.code());
    } catch (const std::bad_alloc&) {
      return result<std::vector<address>>(std::make_error_code(std::errc::not_enough_memory));
    }
  }
  return job_->poll(cx);
}

}  // namespace eddy::net
