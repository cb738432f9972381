// router.cpp: a linear table. Servers route among a handful of paths, where a scan
// of short strings beats a tree; exact entries are checked before prefix ones.
#include <eddy/net/http/router.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

namespace eddy::net::http {

namespace {
// The order of methods in Allow.
constexpr std::array allow_order{method::get,     method::head,    method::post,
                                 method::put,     method::delete_, method::patch,
                                 method::options, method::trace,   method::connect};
// a == b for strings of the same size n: up to 16 bytes as two overlapping word
// compares (a route's path is short), longer ones by memcmp.
bool same_bytes(const char* a, const char* b, std::size_t n) noexcept {
  auto word = [](const char* p) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  };
  if (n >= 8 && n <= 16) return word(a) == word(b) && word(a + n - 8) == word(b + n - 8);
  if (n > 16) return std::memcmp(a, b, n) == 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

}  // namespace

router::entry& router::entry_for(std::string_view path, bool prefix) {
  for (auto& e : entries_) {
    if (e.prefix == prefix && e.path == path) return e;
  }
  entries_.push_back(entry{std::string(path), prefix, {}, {}});
  return entries_.back();
}

void router::add(entry& e, method m, handler h) {
  auto it = std::find_if(e.handlers.begin(), e.handlers.end(),
                         [m](const auto& p) { return p.first == m; });
  if (it != e.handlers.end())
    it->second = std::move(h);
  else
    e.handlers.emplace_back(m, std::move(h));
  e.allow.clear();
  auto has = [&e](method x) {
    return std::any_of(e.handlers.begin(), e.handlers.end(),
                       [x](const auto& p) { return p.first == x; });
  };
  for (method x : allow_order) {
    if (has(x) || (x == method::head && has(method::get))) {
      if (!e.allow.empty()) e.allow += ", ";
      e.allow += to_string(x);
    }
  }
}

router& router::route(method m, std::string_view path, handler h) {
  add(entry_for(path, false), m, std::move(h));
  return *this;
}

router& router::route_prefix(method m, std::string_view prefix, handler h) {
  add(entry_for(prefix, true), m, std::move(h));
  return *this;
}

router::match_result router::match(method m, std::string_view path) const noexcept {
  const entry* found = nullptr;
  for (const auto& e : entries_) {
    if (!e.prefix && e.path.size() == path.size() &&
        same_bytes(e.path.data(), path.data(), path.size())) {
      found = &e;
      break;
    }
  }
  if (!found) {
    for (const auto& e : entries_) {
      if (e.prefix && path.starts_with(e.path) && (!found || e.path.size() > found->path.size()))
        found = &e;
    }
  }
  match_result r;
  if (!found) return r;
  const handler* get = nullptr;
  for (const auto& [hm, h] : found->handlers) {
    if (hm == m && m != method::other) {
      r.target = &h;
      return r;
    }
    if (hm == method::get) get = &h;
  }
  if (m == method::head && get) {
    r.target = get;
    return r;
  }
  r.status = status::method_not_allowed;
  r.allow = found->allow;
  return r;
}

response router::not_matched(const match_result& r) {
  if (r.status == status::method_not_allowed) {
    auto resp = response::method_not_allowed(r.allow);
    resp.add_header(field::content_type, "text/plain; charset=utf-8");
    resp.set_borrowed_body("Method Not Allowed\n");
    return resp;
  }
  response resp(r.status);
  resp.add_header(field::content_type, "text/plain; charset=utf-8");
  resp.set_borrowed_body(r.status == status::not_found ? std::string_view("Not Found\n")
                                                       : std::string_view("Error\n"));
  return resp;
}

}  // namespace eddy::net::http
