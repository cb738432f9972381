// request.cpp: request-target splitting and percent-decoding (see target.hpp).
#include "net/src/http/target.hpp"

namespace eddy::net::http::detail {
namespace {

bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool is_scheme_char(char c) noexcept {
  return is_alpha(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

void split_path_query(std::string_view rest, target_parts& out) noexcept {
  // A fragment is never sent by conforming clients; drop it rather than route on it.
  rest = rest.substr(0, rest.find('#'));
  auto q = rest.find('?');
  out.raw_path = rest.substr(0, q);
  out.query = q == std::string_view::npos ? std::string_view{} : rest.substr(q + 1);
}

}  // namespace

bool split_target(std::string_view target, bool is_connect, bool is_options,
                  target_parts& out) noexcept {
  out = {};
  if (target.empty()) return false;
  if (is_connect) {
    // authority-form: host:port, nothing else.
    if (target.find_first_of("/?#@") != std::string_view::npos) return false;
    out.form = target_form::authority;
    return true;
  }
  if (target == "*") {
    out.form = target_form::asterisk;
    return is_options;
  }
  if (target.front() == '/') {
    out.form = target_form::origin;
    split_path_query(target, out);
    return true;
  }
  // absolute-form: scheme "://" authority [path-abempty] [? query]
  std::size_t i = 0;
  if (!is_alpha(target[0])) return false;
  while (i < target.size() && is_scheme_char(target[i])) ++i;
  if (target.substr(i, 3) != "://") return false;
  auto rest = target.substr(i + 3);
  auto path_start = rest.find_first_of("/?#");
  if (path_start == 0) return false;  // empty authority
  out.form = target_form::absolute;
  if (path_start != std::string_view::npos) split_path_query(rest.substr(path_start), out);
  return true;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool percent_decode(std::string_view in, std::string& out) {
  // Most paths have no escape: one copy up to the first '%'.
  const auto first = in.find('%');
  out.append(in.substr(0, first));
  if (first == std::string_view::npos) return true;
  for (std::size_t i = first; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = hex_value(in[i + 1]);
      int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      c = static_cast<char>(hi * 16 + lo);
      if (c == '\0') return false;
      i += 2;
    }
    out.push_back(c);
  }
  return true;
}

}  // namespace eddy::net::http::detail
