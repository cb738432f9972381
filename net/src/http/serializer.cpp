// serializer.cpp: response heads are built in the output buffer's arena, so the
// heads and short bodies of a whole pipelined batch end up as one iovec.
#include <eddy/net/http/serializer.hpp>

#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <variant>

#include <eddy/net/http/detail/copy_short.hpp>

namespace eddy::net::http {
namespace {

using detail::copy_short;

// Bodies up to this size are copied next to their head: one iovec beats two.
constexpr std::size_t copy_threshold = 8 * 1024;
// Bodies up to this size are copied in the head's own pass (one bounds check).
constexpr std::size_t inline_body_limit = 512;
// IMF-fixdate (date_cache.hpp).
constexpr std::size_t date_size = 29;

void append_number(output_buffer& out, std::uint64_t v, int base = 10) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, v, base);
  (void)ec;  // 24 digits hold any uint64_t
  out.append({digits, static_cast<std::size_t>(end - digits)});
}

// What the head needs to know of a body: its length (none for a stream), and
// for bytes in memory, the bytes themselves.
struct body_facts {
  std::optional<std::uint64_t> length;
  std::optional<std::string_view> bytes;
};

body_facts facts_of(const response& r) noexcept {
  const auto& body = r.body();
  if (const auto* b = std::get_if<borrowed_body>(&body)) return {b->bytes.size(), b->bytes};
  if (const auto* s = std::get_if<std::string>(&body)) return {s->size(), std::string_view(*s)};
  if (std::holds_alternative<std::monostate>(body)) return {0, std::string_view()};
  return {r.content_length(), std::nullopt};
}

struct body_writer {
  output_buffer& out;
  void operator()(std::monostate&) const {}
  void operator()(std::string& s) const {
    if (s.size() <= copy_threshold) {
      out.append(s);
    } else {
      out.append_owned(std::move(s));
    }
  }
  void operator()(borrowed_body& b) const {
    if (b.bytes.size() <= copy_threshold) {
      out.append(b.bytes);
    } else {
      out.append_borrowed(b.bytes);
    }
  }
  void operator()(file_body& f) const { out.append_file(std::move(f.file), f.offset, f.length); }
  void operator()(chunked_body&) const {}
};

}  // namespace

write_result write_response(output_buffer& out, response&& r, const response_context& ctx) {
  const bool no_content = status_has_no_content(r.status());
  const body_facts body = facts_of(r);
  const auto& length = body.length;
  bool keep_alive = ctx.keep_alive && !r.close();
  body_framing framing = body_framing::complete;
  if (!no_content && !length) {
    framing = ctx.http_minor >= 1 ? body_framing::chunked : body_framing::close_delimited;
  }
  if (framing == body_framing::close_delimited) keep_alive = false;

  // The whole head is formatted in place in one pass: one bounds check, then
  // plain copies (the literals' copies are inlined), and a short body copied
  // right after it.
  const bool ok = r.status() == status::ok;
  const std::string_view reason = ok ? std::string_view() : reason_phrase(r.status());
  const std::string_view fields = r.header_block();
  const bool need_allow = r.status() == status::method_not_allowed && !r.header("Allow");
  const bool head_only = ctx.head || no_content;
  // Bodies up to inline_body_limit are copied in the head's own pass.
  const bool small = !head_only && body.bytes && body.bytes->size() <= inline_body_limit;
  const std::string_view inline_body = small ? *body.bytes : std::string_view();
  constexpr std::size_t fixed_bound = 19             // "HTTP/1.1 NNNNN " "\r\n" + final "\r\n"
                                      + 8            // "Date: " "\r\n"
                                      + 9            // "Allow: \r\n"
                                      + 16 + 20 + 2  // Content-Length, any uint64_t
                                      + 28           // or Transfer-Encoding: chunked
                                      + 24;          // "Connection: keep-alive\r\n"
  char* const begin = out.prepare(fixed_bound + reason.size() + ctx.date.size() + fields.size() +
                                  inline_body.size());
  char* p = begin;
  auto put = [&p](std::string_view v) {
    copy_short(p, v.data(), v.size());
    p += v.size();
  };
  if (ok) [[likely]] {
    put("HTTP/1.1 200 OK\r\n");
  } else {
    const auto code = static_cast<std::uint16_t>(r.status());
    put("HTTP/1.1 ");
    if (code >= 100 && code <= 999) [[likely]] {
      *p++ = static_cast<char>('0' + code / 100);
      *p++ = static_cast<char>('0' + code / 10 % 10);
      *p++ = static_cast<char>('0' + code % 10);
    } else {
      p = std::to_chars(p, p + 5, code).ptr;  // 5 digits hold any uint16_t
    }
    *p++ = ' ';
    put(reason);
    put("\r\n");
  }
  if (ctx.date.size() == date_size) [[likely]] {  // a constant-size copy
    std::memcpy(p, "Date: ", 6);
    std::memcpy(p + 6, ctx.date.data(), date_size);
    std::memcpy(p + 6 + date_size, "\r\n", 2);
    p += 8 + date_size;
  } else if (!ctx.date.empty()) {
    put("Date: ");
    put(ctx.date);
    put("\r\n");
  }
  put(fields);
  // RFC 9110 section 15.5.6: a 405 MUST carry Allow (empty: nothing is allowed).
  if (need_allow) put("Allow: \r\n");
  if (!no_content) {
    if (length) {
      put("Content-Length: ");
      p = std::to_chars(p, p + 20, *length).ptr;  // 20 digits hold any uint64_t
      put("\r\n");
    } else if (framing == body_framing::chunked) {
      put("Transfer-Encoding: chunked\r\n");
    }
  }
  if (!keep_alive) {
    put("Connection: close\r\n");
  } else if (ctx.http_minor == 0) {
    put("Connection: keep-alive\r\n");
  }
  put("\r\n");
  put(inline_body);
  out.commit(static_cast<std::size_t>(p - begin));

  if (head_only) return {keep_alive, body_framing::complete};
  if (!small) std::visit(body_writer{out}, r.body());
  return {keep_alive, framing};
}

void write_continue(output_buffer& out) { out.append("HTTP/1.1 100 Continue\r\n\r\n"); }

void write_error(output_buffer& out, status s, std::string_view date, std::string_view allow) {
  response r(s);
  if (s == status::method_not_allowed) r.add_header(field::allow, allow);
  r.add_header(field::content_type, "text/plain; charset=utf-8");
  std::string body = std::to_string(static_cast<std::uint16_t>(s));
  body += ' ';
  body += reason_phrase(s);
  body += '\n';
  r.set_body(std::move(body));
  r.set_close();
  (void)write_response(out, std::move(r), {.date = date, .head = false, .keep_alive = false});
}

void write_chunk(output_buffer& out, std::string_view data, body_framing framing) {
  if (data.empty()) return;
  if (framing == body_framing::close_delimited) {
    out.append(data);
    return;
  }
  append_number(out, data.size(), 16);
  out.append("\r\n");
  out.append(data);
  out.append("\r\n");
}

void write_last_chunk(output_buffer& out, body_framing framing) {
  if (framing == body_framing::chunked) out.append("0\r\n\r\n");
}

}  // namespace eddy::net::http
