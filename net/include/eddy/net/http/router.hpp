// router.hpp: method + path to handler, for the HTTP server (server.hpp).
//
//   router r;
//   r.get("/plaintext", [](const request&) -> task<response> {
//     co_return response::with_body(status::ok, "Hello, World!", "text/plain");
//   });
//   r.get_prefix("/static/", serve_file);  // every path under /static/
//
// Matching: an exact route wins over a prefix route, the longest prefix over a
// shorter one. A path no route matches is 404; a path some route matches with
// another method is 405, with the Allow value of every method routed there. HEAD
// is answered by the GET handler when no HEAD handler is set (the server leaves
// the body out), and GET routes list HEAD in Allow.
//
// Handlers are coroutines. A lambda coroutine's captures live in the router (the
// std::function it is stored in), so they stay valid while the router lives; the
// `const request&` is valid until the handler's task completes.
//
// Thread safety: build the router first; match() is const and may then run on
// several threads at once.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <eddy/net/http/method.hpp>
#include <eddy/net/http/request.hpp>
#include <eddy/net/http/response.hpp>
#include <eddy/net/http/status.hpp>
#include <eddy/task.hpp>

namespace eddy::net::http {

/// A request handler: a coroutine answering one request.
using handler = std::function<task<response>(const request&)>;

class router {
 public:
  /// `h` answers `m` requests whose path is exactly `path` (decoded, as
  /// request::path()). A later route for the same method and path replaces it.
  router& route(method m, std::string_view path, handler h);
  /// `h` answers `m` requests whose path starts with `prefix`.
  router& route_prefix(method m, std::string_view prefix, handler h);

  router& get(std::string_view path, handler h) { return route(method::get, path, std::move(h)); }
  router& head(std::string_view path, handler h) { return route(method::head, path, std::move(h)); }
  router& post(std::string_view path, handler h) { return route(method::post, path, std::move(h)); }
  router& put(std::string_view path, handler h) { return route(method::put, path, std::move(h)); }
  router& delete_(std::string_view path, handler h) {
    return route(method::delete_, path, std::move(h));
  }
  router& get_prefix(std::string_view prefix, handler h) {
    return route_prefix(method::get, prefix, std::move(h));
  }

  /// What match() found: a handler, or the status to answer (404, or 405 with
  /// `allow`). The pointers stay valid while the router is not modified.
  struct match_result {
    const handler* target = nullptr;
    http::status status = http::status::not_found;
    /// For 405: "GET, HEAD, POST".
    std::string_view allow;
  };
  [[nodiscard]] match_result match(method m, std::string_view path) const noexcept;

  /// The response for a failed match: 404 or 405 with Allow, with a short text body.
  [[nodiscard]] static response not_matched(const match_result& r);

 private:
  struct entry {
    std::string path;
    bool prefix = false;
    std::vector<std::pair<method, handler>> handlers;
    std::string allow;  // recomputed on every change
  };
  entry& entry_for(std::string_view path, bool prefix);
  static void add(entry& e, method m, handler h);

  std::vector<entry> entries_;
};

}  // namespace eddy::net::http
