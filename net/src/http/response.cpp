// response.cpp: field validation (no response splitting) and the constructors.
#include <eddy/net/http/headers.hpp>
#include <eddy/net/http/response.hpp>

namespace eddy::net::http {
namespace {

// tchar, RFC 9110 section 5.6.2, as a table: add_header() runs per response.
constexpr auto tchar_table = [] {
  struct table {
    bool ok[256] = {};
  } t;
  for (int c = 'a'; c <= 'z'; ++c) t.ok[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t.ok[c] = true;
  for (int c = '0'; c <= '9'; ++c) t.ok[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t.ok[static_cast<unsigned char>(c)] = true;
  return t;
}();

// What may not appear in a field value: CR, LF (response splitting) and NUL.
constexpr auto value_stop_table = [] {
  struct table {
    bool stop[256] = {};
  } t;
  t.stop[static_cast<unsigned char>('\r')] = t.stop[static_cast<unsigned char>('\n')] = true;
  t.stop[0] = true;
  return t;
}();

bool is_tchar(char c) noexcept { return tchar_table.ok[static_cast<unsigned char>(c)]; }

// The fields the serializer writes itself; by length first, so that most names
// are not compared at all.
bool is_reserved(std::string_view name) noexcept {
  switch (name.size()) {
    case 4:
      return iequals(name, "date");
    case 10:
      return iequals(name, "connection");
    case 14:
      return iequals(name, "content-length");
    case 17:
      return iequals(name, "transfer-encoding");
    default:
      return false;
  }
}

}  // namespace

response response::with_body(http::status s, std::string body, std::string_view content_type) {
  response r(s);
  r.add_header("Content-Type", content_type);
  r.set_body(std::move(body));
  return r;
}

response response::stream(http::status s, std::string_view content_type, stream_producer producer) {
  response r(s);
  r.add_header("Content-Type", content_type);
  r.set_stream(std::move(producer));
  return r;
}

response response::method_not_allowed(std::string_view allow) {
  response r(status::method_not_allowed);
  r.add_header("Allow", allow);
  return r;
}

bool response::add_header(std::string_view name, std::string_view value) {
  if (name.empty() || is_reserved(name)) return false;
  for (char c : name) {
    if (!is_tchar(c)) return false;
  }
  for (char c : value) {
    if (value_stop_table.stop[static_cast<unsigned char>(c)]) return false;
  }
  headers_.append_field(name, value);
  return true;
}

std::optional<std::string_view> response::header(std::string_view name) const noexcept {
  std::string_view rest = headers_.view();
  while (!rest.empty()) {
    auto eol = rest.find("\r\n");
    auto line = rest.substr(0, eol);
    auto colon = line.find(':');
    if (iequals(line.substr(0, colon), name)) return line.substr(colon + 2);
    rest.remove_prefix(eol + 2);
  }
  return std::nullopt;
}

std::optional<std::uint64_t> response::content_length() const noexcept {
  struct visitor {
    std::optional<std::uint64_t> operator()(const std::monostate&) const { return 0; }
    std::optional<std::uint64_t> operator()(const std::string& s) const { return s.size(); }
    std::optional<std::uint64_t> operator()(const borrowed_body& b) const { return b.bytes.size(); }
    std::optional<std::uint64_t> operator()(const file_body& f) const { return f.length; }
    std::optional<std::uint64_t> operator()(const chunked_body&) const { return std::nullopt; }
  };
  return std::visit(visitor{}, body_);
}

}  // namespace eddy::net::http
