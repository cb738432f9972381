// server_codec.cpp: llhttp driven over a codec-owned receive buffer.
//
// The receive buffer holds, in order:
//
//   [0, base)       bytes of messages already released: dropped by the next compaction
//   [base, parsed)  the current message as far as llhttp has read it
//   [parsed, end)   received bytes not yet given to llhttp
//
// Invariants:
//   1. base <= parsed <= end <= cap.
//   2. Every span recorded by a callback is an offset relative to base, so moving
//      [base, end) to the front of the buffer (prepare()) never rewrites them.
//   3. Bytes of the current message move only in prepare(), and only between
//      parse calls: llhttp keeps no pointer into the buffer across llhttp_execute
//      (it flushes partial spans before returning and restarts them at the next
//      call's first byte), so any fragment of one field stays contiguous.
//   4. The body is de-chunked in place: it starts where its first byte arrived and
//      each later fragment is moved down to follow the previous one. The region
//      between the body's end and `parsed` (chunk framing, trailers) is garbage
//      that prepare() may squeeze out.
//   5. on_message_complete pauses the parser, so one llhttp_execute never gets
//      past the end of one message: next() returns each request before the
//      following one is parsed, and request() can be rebuilt from offsets.
//   6. A message starts either in llhttp or in scan_simple_head(), never both:
//      the scan runs only between messages (llhttp then waits at a message
//      start, and stays there), takes a whole head or nothing, and takes only
//      heads that llhttp's strict mode parses, and headers_complete() accepts,
//      to the same request: every refusal (a missing Host, a bad escape in the
//      path, a limit) is left to llhttp and headers_complete(), so both paths
//      give the same error by construction (the fuzzer compares the two paths).
//      A scanned message records no spans and never materializes again: the
//      scan builds the request, and the message is released before anything can
//      move the buffer (prepare() and next() release it first).
//   7. The codec alone decides whether a message may follow another: release()
//      ends the stream after a request that is not keep-alive (headers_complete():
//      Connection tokens with their OWS trimmed, as RFC 9110 says). llhttp's own
//      decision, which misses a token followed by a tab, is switched off (lenient
//      keep-alive), so it never refuses a message the codec has allowed.
#include <eddy/net/http/server_codec.hpp>

#include <llhttp.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cstring>

#include "net/src/http/buffer_pool.hpp"
#include "net/src/http/char_class.hpp"
#include "net/src/http/target.hpp"
#include "net/src/http/thread_exit_hook.hpp"

namespace eddy::net::http {
namespace {

struct span_ref {
  std::size_t off = 0;  // relative to base (invariant 2)
  std::size_t len = 0;
};

struct field_ref {
  span_ref name;
  span_ref value;
  bool value_started = false;
};

using detail::give_back;
using detail::max_cached_blocks;
using detail::take_block;

http::method to_method(std::uint8_t m) noexcept {
  switch (m) {
    case HTTP_GET:
      return http::method::get;
    case HTTP_HEAD:
      return http::method::head;
    case HTTP_POST:
      return http::method::post;
    case HTTP_PUT:
      return http::method::put;
    case HTTP_DELETE:
      return http::method::delete_;
    case HTTP_CONNECT:
      return http::method::connect;
    case HTTP_OPTIONS:
      return http::method::options;
    case HTTP_TRACE:
      return http::method::trace;
    case HTTP_PATCH:
      return http::method::patch;
    default:
      return http::method::other;
  }
}

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

struct server_codec::impl {
  explicit impl(const codec_settings& s) : cfg(s) { init_parser(); }
  ~impl() { give_back(buf, cap); }
  // Invariant 7: release() decides whether another message may follow, so llhttp
  // runs with lenient keep-alive and is back at a message start after each one.
  void init_parser() noexcept {
    llhttp_init(&parser, HTTP_REQUEST, &callbacks());
    llhttp_set_lenient_keep_alive(&parser, 1);
    parser.data = this;
  }
  // Makes a parked impl (no buffer, between messages) fresh for another codec;
  // the vectors keep their capacity.
  void reset(const codec_settings& s, std::size_t done) noexcept {
    cfg = s;
    parser_fresh = false;  // llhttp_init() on first use: simple heads never need it
    base = parsed = end = 0;
    in_message = head_done = yielded = body_started = continue_pending = false;
    new_field = true;
    method_span = url = version = raw_path = query = {};
    path_raw = false;
    fields.clear();
    body_off = body_len = 0;
    declared_body = 0;
    trailer_bytes = 0;
    eof = false;
    sticky = codec_event::need_input;
    own_error = false;
    err_status = status::bad_request;
    err_reason = {};
    completed = done;
  }
  /// Between messages with nothing buffered: may serve another codec (reset()).
  bool parkable() const noexcept {
    return base == end && !in_message && !yielded && !eof && !own_error &&
           sticky == codec_event::need_input;
  }
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;

  static const llhttp_settings_t& callbacks() noexcept;
  static impl& self(llhttp_t* p) noexcept { return *static_cast<impl*>(p->data); }

  std::size_t rel(const char* at) const noexcept {
    return static_cast<std::size_t>(at - buf.get()) - base;
  }
  void extend(span_ref& s, const char* at, std::size_t len) noexcept {
    if (s.len == 0) s.off = rel(at);
    s.len += len;
  }
  std::string_view view(span_ref s) const noexcept {
    return s.len == 0 ? std::string_view{} : std::string_view(buf.get() + base + s.off, s.len);
  }

  // A failure found inside a callback; next() turns it into the error event.
  int fail_cb(status s, const char* reason) noexcept {
    own_error = true;
    err_status = s;
    err_reason = reason;
    return HPE_USER;
  }
  // The same from on_headers_complete and on_chunk_header, which signal errors with -1.
  int refuse(status s, const char* reason) noexcept {
    fail_cb(s, reason);
    return -1;
  }
  codec_event fail(status s, std::string_view reason) noexcept {
    sticky = codec_event::error;
    err_status = s;
    err_reason = reason;
    return sticky;
  }

  bool request_line_without_version() const noexcept;
  void begin_message() noexcept;
  /// What the head says beyond the spans, from llhttp.
  struct head_facts {
    std::uint8_t major, minor, method;
    bool chunked;
    bool has_content_length;
    std::uint64_t content_length;
  };
  int headers_complete(const head_facts& h) noexcept;
  int llhttp_headers_complete() noexcept {
    return headers_complete({parser.http_major, parser.http_minor, parser.method,
                             (parser.flags & F_CHUNKED) != 0,
                             (parser.flags & F_CONTENT_LENGTH) != 0, parser.content_length});
  }
  std::size_t scan_simple_head(std::size_t limit) noexcept;
  std::string_view decoded_path() const noexcept {
    return path_raw ? view(raw_path) : std::string_view(path_buf);
  }
  int body(const char* at, std::size_t len) noexcept;
  void materialize() noexcept;
  void release() noexcept;
  void grow(std::size_t new_cap);
  std::span<char> prepare(std::size_t min_size);
  /// Gives the buffer back when nothing is buffered; keep_read_block keeps a
  /// standard read block in an impl about to be parked (it stays with the impl).
  bool release_buffer(bool keep_read_block) noexcept;
  codec_event next();

  codec_settings cfg;
  llhttp_t parser{};
  // False after reset(): the parser still holds another connection's state, and
  // next() re-initialises it before its first llhttp_execute(). reset() runs only
  // between messages, where a fresh parser and a used one are the same.
  bool parser_fresh = true;

  std::unique_ptr<char[]> buf;
  std::size_t cap = 0;
  std::size_t base = 0;
  std::size_t parsed = 0;
  std::size_t end = 0;

  // The current message.
  bool in_message = false;
  bool head_done = false;
  bool yielded = false;  // returned by next() and not yet released
  bool new_field = true;
  span_ref method_span;
  span_ref url;
  span_ref version;
  span_ref raw_path;
  span_ref query;
  std::vector<field_ref> fields;  // capacity reused across requests
  bool body_started = false;
  std::size_t body_off = 0;
  std::size_t body_len = 0;
  std::uint64_t declared_body = 0;  // sum of chunk sizes announced so far
  std::size_t trailer_bytes = 0;
  bool continue_pending = false;

  bool eof = false;
  codec_event sticky = codec_event::need_input;  // error and closed stick
  bool own_error = false;
  status err_status = status::bad_request;
  std::string_view err_reason;
  std::size_t completed = 0;

  http::request req;
  std::string path_buf;                   // the decoded path; capacity reused
  bool path_raw = false;                  // no escape: the path is raw_path itself
  const char* materialized_at = nullptr;  // buf + base when req's views were made
};

const llhttp_settings_t& server_codec::impl::callbacks() noexcept {
  static const llhttp_settings_t settings = [] {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_message_begin = [](llhttp_t* p) {
      self(p).begin_message();
      return 0;
    };
    s.on_method = [](llhttp_t* p, const char* at, std::size_t len) {
      self(p).extend(self(p).method_span, at, len);
      return 0;
    };
    s.on_version = [](llhttp_t* p, const char* at, std::size_t len) {
      self(p).extend(self(p).version, at, len);
      return 0;
    };
    s.on_url = [](llhttp_t* p, const char* at, std::size_t len) {
      auto& c = self(p);
      c.extend(c.url, at, len);
      if (c.url.len > c.cfg.max_uri_bytes) return c.fail_cb(status::uri_too_long, "URI too long");
      return 0;
    };
    s.on_header_field = [](llhttp_t* p, const char* at, std::size_t len) {
      auto& c = self(p);
      if (c.head_done) {  // a trailer field: bounded, then ignored
        c.trailer_bytes += len;
        if (c.trailer_bytes > c.cfg.max_header_bytes)
          return c.fail_cb(status::request_header_fields_too_large, "trailers too large");
        return 0;
      }
      if (c.new_field) {
        if (c.fields.size() >= c.cfg.max_header_count)
          return c.fail_cb(status::request_header_fields_too_large, "too many header fields");
        c.fields.emplace_back();
        c.new_field = false;
      }
      c.extend(c.fields.back().name, at, len);
      return 0;
    };
    s.on_header_value = [](llhttp_t* p, const char* at, std::size_t len) {
      auto& c = self(p);
      if (c.head_done) {
        c.trailer_bytes += len;
        if (c.trailer_bytes > c.cfg.max_header_bytes)
          return c.fail_cb(status::request_header_fields_too_large, "trailers too large");
        return 0;
      }
      // llhttp lets a line start with ':'; RFC 9110 section 5.1: a name is a token.
      if (c.new_field || c.fields.back().name.len == 0)
        return c.fail_cb(status::bad_request, "empty field name");
      auto& f = c.fields.back();
      if (!f.value_started) {
        f.value = {c.rel(at), 0};
        f.value_started = true;
      } else if (c.rel(at) != f.value.off + f.value.len) {
        // llhttp reports an obs-fold continuation line as a second, non-adjacent
        // fragment of the same value (invariant 3 rules out any other cause).
        return c.fail_cb(status::bad_request, "obs-fold");
      }
      f.value.len += len;
      return 0;
    };
    s.on_header_value_complete = [](llhttp_t* p) {
      self(p).new_field = true;
      return 0;
    };
    s.on_headers_complete = [](llhttp_t* p) { return self(p).llhttp_headers_complete(); };
    s.on_chunk_header = [](llhttp_t* p) {
      auto& c = self(p);
      std::uint64_t size = p->content_length;
      if (size >
          c.cfg.max_body_bytes - std::min<std::uint64_t>(c.declared_body, c.cfg.max_body_bytes)) {
        return c.refuse(status::content_too_large, "chunked body too large");
      }
      c.declared_body += size;
      return 0;
    };
    s.on_body = [](llhttp_t* p, const char* at, std::size_t len) { return self(p).body(at, len); };
    s.on_message_complete = [](llhttp_t*) { return static_cast<int>(HPE_PAUSED); };  // invariant 5
    return s;
  }();
  return settings;
}

void server_codec::impl::begin_message() noexcept {
  in_message = true;
  head_done = false;
  new_field = true;
  method_span = url = version = raw_path = query = {};
  path_raw = false;
  fields.clear();
  body_started = false;
  body_off = body_len = 0;
  declared_body = 0;
  trailer_bytes = 0;
  continue_pending = false;
}

// llhttp takes "GET /\r\n" for an HTTP/0.9 request line and waits for a header
// section (headers_complete() refuses it then); a client sending such a line would
// wait for the header timeout instead of its 400. So once the parsed bytes show
// the target ended with the line (CR or LF where SP and a version belong), the
// request is refused at once. The byte after the target is parsed, hence still in
// the buffer at its offset (invariant 2).
bool server_codec::impl::request_line_without_version() const noexcept {
  if (!in_message || head_done || url.len == 0 || version.len != 0) return false;
  const std::size_t after = base + url.off + url.len;
  if (after >= parsed) return false;  // the target may still be growing
  const char c = buf[after];
  return c == '\r' || c == '\n';
}

int server_codec::impl::headers_complete(const head_facts& h) noexcept {
  head_done = true;
  auto& r = req;
  r.major_ = h.major;
  r.minor_ = h.minor;
  // llhttp accepts "GET /" as HTTP/0.9; a server must not answer in 0.9.
  if (r.major_ == 0) return refuse(status::bad_request, "HTTP/0.9 request");
  if (r.major_ > 1) return refuse(status::http_version_not_supported, "HTTP version");
  r.method_ = to_method(h.method);
  // RFC 9112 section 3: exactly one SP between the parts of the request line;
  // llhttp tolerates runs of spaces, which lets a line mean different things to
  // different parsers.
  if (url.off != method_span.off + method_span.len + 1 ||
      version.off != url.off + url.len + 1 + 5 /* "HTTP/" */)
    return refuse(status::bad_request, "malformed request line");

  materialize();
  std::size_t hosts = 0;
  bool close = false;
  bool keep_alive = false;
  std::optional<std::string_view> expect;
  for (const auto& f : r.headers_) {
    // By length first: most fields are none of these.
    if (f.name.size() == 4 && iequals(f.name, "host")) {
      ++hosts;
    } else if (f.name.size() == 10 && iequals(f.name, "connection")) {
      close = close || has_token(f.value, "close");
      keep_alive = keep_alive || has_token(f.value, "keep-alive");
    } else if (f.name.size() == 6 && iequals(f.name, "expect")) {
      if (expect) return refuse(status::expectation_failed, "repeated Expect");
      expect = f.value;
    }
  }
  // RFC 9112 section 3.2: exactly one Host in HTTP/1.1, at most one in HTTP/1.0.
  if (hosts > 1) return refuse(status::bad_request, "repeated Host");
  if (hosts == 0 && r.minor_ >= 1) return refuse(status::bad_request, "missing Host");

  // RFC 9112 section 9.3.
  r.keep_alive_ = r.minor_ >= 1 ? !close : keep_alive && !close;
  if (r.method_ == http::method::connect) r.keep_alive_ = false;

  // RFC 9110 section 10.1.1: 100-continue is ignored from HTTP/1.0 clients.
  r.expects_continue_ = false;
  if (expect && r.minor_ >= 1) {
    if (!iequals(*expect, "100-continue"))
      return refuse(status::expectation_failed, "unsupported expectation");
    r.expects_continue_ = true;
  }

  r.chunked_ = h.chunked;
  r.content_length_.reset();
  if (h.has_content_length) {
    r.content_length_ = h.content_length;
    if (h.content_length > cfg.max_body_bytes)
      return refuse(status::content_too_large, "Content-Length too large");
  }
  continue_pending = r.expects_continue_ && (r.chunked_ || r.content_length_.value_or(0) > 0);

  detail::target_parts parts;
  auto target = view(url);
  if (!detail::split_target(target, r.method_ == http::method::connect,
                            r.method_ == http::method::options, parts)) {
    return refuse(status::bad_request, "bad request-target");
  }
  auto sub = [&](std::string_view part) {
    return part.empty() ? span_ref{}
                        : span_ref{url.off + static_cast<std::size_t>(part.data() - target.data()),
                                   part.size()};
  };
  raw_path = sub(parts.raw_path);
  query = sub(parts.query);
  path_buf.clear();
  path_raw = false;
  switch (parts.form) {
    case detail::target_form::asterisk:
      path_buf = "*";
      break;
    case detail::target_form::authority:
      break;
    case detail::target_form::origin:
    case detail::target_form::absolute:
      if (parts.raw_path.empty()) {
        path_buf = "/";
      } else if (parts.raw_path.find('%') == std::string_view::npos) {
        path_raw = true;  // nothing to decode: no copy
      } else if (!detail::percent_decode(parts.raw_path, path_buf)) {
        return refuse(status::bad_request, "bad percent-encoding in path");
      }
      break;
  }
  r.raw_path_ = view(raw_path);  // materialize() ran before these were known
  r.query_ = view(query);
  r.path_ = decoded_path();
  return 0;
}

// The simple-head fast path (invariant 6): a whole GET or HEAD head of plain
// ASCII, with no body, no Upgrade and nothing llhttp would parse leniently or
// refuse, is scanned here in one pass instead of by llhttp, which sees only the
// other requests. Returns the head's length with the request built, or 0 to let
// llhttp parse it: anything unusual, including every error and any head not
// complete in [parsed, limit), goes the llhttp way. The request's fields are
// written as the scan goes; when it gives up, llhttp's path writes every one of
// them again (headers_complete() and materialize()) before anyone reads them.
std::size_t server_codec::impl::scan_simple_head(std::size_t limit) noexcept {
  const char* const p = buf.get() + parsed;
  const std::size_t avail = limit - parsed;
  // A NUL (in no table) just past the bytes, in the buffer's free space, stops
  // every run without a bounds check per byte; without room for it, runs check.
  const bool sentinel = limit == end && end < cap;
  if (sentinel) buf[end] = '\0';
  const std::size_t readable = cap - parsed;  // runs may read ahead up to here
  using detail::char_class;
  using detail::run_of;
  auto& r = req;
  std::size_t i;
  if (avail >= 4 && std::memcmp(p, "GET ", 4) == 0) {
    i = 4;
    r.method_ = http::method::get;
  } else if (avail >= 5 && std::memcmp(p, "HEAD ", 5) == 0) {
    i = 5;
    r.method_ = http::method::head;
  } else {
    return 0;
  }
  const std::size_t target = i;
  if (i >= avail || p[i] != '/') return 0;
  // Plain target bytes in runs; a '?' or '%' is noted and passed: the same split
  // as split_target() (origin form, and the set has no '#').
  std::size_t query_at = 0;  // 0: none (the path starts with '/')
  bool escaped = false;
  for (;;) {
    i = run_of<char_class::plain_target>(p, i, avail, readable, sentinel);
    if (i >= avail) return 0;
    if (p[i] == '?') {
      if (query_at == 0) query_at = i;
    } else if (p[i] == '%') {
      escaped = escaped || query_at == 0;
    } else {
      break;
    }
    ++i;
  }
  const std::size_t target_len = i - target;
  if (target_len > cfg.max_uri_bytes || avail - i < 11) return 0;
  if (std::memcmp(p + i, " HTTP/1.", 8) != 0 || (p[i + 8] != '1' && p[i + 8] != '0') ||
      p[i + 9] != '\r' || p[i + 10] != '\n')
    return 0;
  const bool http11 = p[i + 8] == '1';
  r.major_ = 1;
  r.minor_ = http11 ? 1 : 0;
  i += 11;
  auto& out = r.headers_;
  out.clear();
  unsigned hosts = 0;
  bool close = false;
  bool keep_alive = false;
  for (;;) {
    if (avail - i < 2) return 0;
    if (p[i] == '\r') {
      if (p[i + 1] != '\n') return 0;
      i += 2;
      break;
    }
    const std::size_t name = i;
    i = run_of<char_class::token>(p, i, avail, readable, sentinel);
    if (i == name || i >= avail || p[i] != ':') return 0;
    const std::string_view n(p + name, i - name);
    const std::size_t value = ++i;  // the value's run takes its OWS too (SP, HTAB are in it)
    i = run_of<char_class::value>(p, i, avail, readable, sentinel);
    if (avail - i < 2 || p[i] != '\r' || p[i + 1] != '\n') return 0;
    if (out.size() >= cfg.max_header_count) return 0;
    const std::string_view v = trim_ows({p + value, i - value});
    // By length first, as in headers_complete(). Framing, protocol switches,
    // Expect and a repeated Host stay with llhttp (and headers_complete()'s loop).
    switch (n.size()) {
      case 4:
        if (detail::token_equals_lower(n, "host") && hosts++ != 0) return 0;
        break;
      case 6:
        if (detail::token_equals_lower(n, "expect")) return 0;
        break;
      case 7:
        if (detail::token_equals_lower(n, "upgrade")) return 0;
        break;
      case 10:
        if (detail::token_equals_lower(n, "connection")) {
          close = close || has_token(v, "close");
          keep_alive = keep_alive || has_token(v, "keep-alive");
        }
        break;
      case 14:
        if (detail::token_equals_lower(n, "content-length")) return 0;
        break;
      case 17:
        if (detail::token_equals_lower(n, "transfer-encoding")) return 0;
        break;
      default:
        break;
    }
    out.push_back({n, v});
    i += 2;
  }
  // headers_complete()'s checks and facts for such a head, in its order.
  if (hosts == 0 && http11) return 0;  // missing Host: headers_complete() refuses it
  const std::size_t path_end = query_at != 0 ? query_at : target + target_len;
  r.raw_path_ = {p + target, path_end - target};
  if (escaped) [[unlikely]] {
    path_buf.clear();
    if (!detail::percent_decode(r.raw_path_, path_buf)) return 0;  // headers_complete() refuses it
    r.path_ = path_buf;
  } else {
    r.path_ = r.raw_path_;
  }
  const std::size_t query_len = query_at != 0 ? target + target_len - query_at - 1 : 0;
  r.query_ = query_len != 0 ? std::string_view(p + query_at + 1, query_len) : std::string_view();
  r.keep_alive_ = http11 ? !close : keep_alive && !close;
  r.expects_continue_ = false;
  r.chunked_ = false;
  r.content_length_.reset();
  r.method_name_ = {p, target - 1};
  r.target_ = {p + target, target_len};
  r.body_ = {};
  return i;
}

int server_codec::impl::body(const char* at, std::size_t len) noexcept {
  if (len > cfg.max_body_bytes - body_len)
    return fail_cb(status::content_too_large, "body too large");
  if (!body_started) {
    body_started = true;
    body_off = rel(at);
  } else {
    char* dst = buf.get() + base + body_off + body_len;
    if (dst != at) std::memmove(dst, at, len);  // invariant 4
  }
  body_len += len;
  return 0;
}

void server_codec::impl::materialize() noexcept {
  auto& r = req;
  materialized_at = buf.get() + base;
  r.method_name_ = view(method_span);
  r.target_ = view(url);
  r.raw_path_ = view(raw_path);
  r.query_ = view(query);
  r.path_ = decoded_path();
  r.headers_.clear();
  for (const auto& f : fields) r.headers_.push_back({view(f.name), trim_ows(view(f.value))});
  r.body_ = view({body_off, body_len});
}

void server_codec::impl::release() noexcept {
  yielded = false;
  in_message = false;
  head_done = false;
  base = parsed;
  if (!req.keep_alive_) sticky = codec_event::closed;
}

void server_codec::impl::grow(std::size_t new_cap) {
  auto bigger = take_block(new_cap);
  if (end > 0) std::memcpy(bigger.get(), buf.get(), end);
  give_back(buf, cap);
  buf = std::move(bigger);
  cap = new_cap;
}

std::span<char> server_codec::impl::prepare(std::size_t min_size) {
  if (yielded) release();
  if (min_size == 0) min_size = cfg.read_size;
  if (base == end) {
    base = parsed = end = 0;
    // Between requests nothing is buffered: give back what a large body grew, so
    // an idle keep-alive connection costs one read buffer.
    if (cap > 4 * std::max(cfg.read_size, min_size)) {
      give_back(buf, cap);
      cap = 0;
    }
  } else if (cap - end < min_size) {
    if (in_message && head_done && body_started) {  // invariant 4: squeeze the framing out
      std::size_t body_end = base + body_off + body_len;
      if (body_end < parsed) {
        std::memmove(buf.get() + body_end, buf.get() + parsed, end - parsed);
        end -= parsed - body_end;
        parsed = body_end;
      }
    }
    if (base > 0) {  // invariant 2: offsets are relative to base
      std::memmove(buf.get(), buf.get() + base, end - base);
      parsed -= base;
      end -= base;
      base = 0;
    }
  }
  if (cap - end < min_size) grow(std::max(cap * 2, end + min_size));
  return {buf.get() + end, cap - end};
}

bool server_codec::impl::release_buffer(bool keep_read_block) noexcept {
  if (yielded) release();
  if (base != end) return false;
  base = parsed = end = 0;
  if (!(keep_read_block && cap == detail::pooled_block_size && parkable())) {
    give_back(buf, cap);
    cap = 0;
  }
  return true;
}

codec_event server_codec::impl::next() {
  if (sticky != codec_event::need_input) return sticky;
  if (yielded) {
    release();
    if (sticky != codec_event::need_input) return sticky;
  }
  for (;;) {
    if (parsed == end) {
      if (eof) {
        if (in_message) return fail(status::bad_request, "incomplete request");
        return sticky = codec_event::closed;
      }
      if (continue_pending && head_done && !body_started) {
        continue_pending = false;
        materialize();
        return codec_event::expect_continue;
      }
      return codec_event::need_input;
    }
    std::size_t limit = end;
    if (!head_done) {
      // The head limit is enforced by never showing llhttp more than it allows.
      limit = std::min(end, base + cfg.max_header_bytes);
      if (parsed >= limit)
        return fail(status::request_header_fields_too_large, "header section too large");
    }
    if (!in_message && cfg.simple_heads) {
      if (const std::size_t n = scan_simple_head(limit)) {  // invariant 6
        parsed += n;
        yielded = true;
        ++completed;
        return codec_event::request;
      }
    }
    if (!parser_fresh) [[unlikely]] {
      init_parser();
      parser_fresh = true;
    }
    const char* start = buf.get() + parsed;
    auto rc = llhttp_execute(&parser, start, limit - parsed);
    switch (rc) {
      case HPE_OK:
        parsed = limit;
        if (request_line_without_version()) return fail(status::bad_request, "HTTP/0.9 request");
        continue;
      case HPE_PAUSED:  // invariant 5: a complete message
        parsed = static_cast<std::size_t>(llhttp_get_error_pos(&parser) - buf.get());
        llhttp_resume(&parser);
        // Only the body is new since the head, unless the buffer moved (prepare()).
        if (materialized_at == buf.get() + base)
          req.body_ = view({body_off, body_len});
        else
          materialize();
        yielded = true;
        continue_pending = false;
        ++completed;
        return codec_event::request;
      case HPE_PAUSED_UPGRADE:
        // An Upgrade we do not perform (RFC 9110 section 7.8: the server may ignore
        // it): keep parsing HTTP/1.1. CONNECT never gets here (not keep-alive).
        parsed = static_cast<std::size_t>(llhttp_get_error_pos(&parser) - buf.get());
        llhttp_resume_after_upgrade(&parser);
        continue;
      case HPE_PAUSED_H2_UPGRADE:
        return fail(status::http_version_not_supported, "HTTP/2 connection preface");
      default:
        if (own_error) return fail(err_status, err_reason);
        const char* reason = llhttp_get_error_reason(&parser);
        return fail(status::bad_request, reason ? reason : llhttp_errno_name(rc));
    }
  }
}

namespace {

// Parked impls (server_codec::release_buffer()): an idle connection's codec is a
// few words, and the next request takes a parked impl with its capacity back,
// read block included (at most max_cached_blocks of them per thread). As the
// block cache (buffer_pool.cpp): constant-initialised initial-exec TLS, emptied
// by an exit hook armed when the thread first parks an impl.
struct impl_cache {
  server_codec::impl* items[max_cached_blocks];
  std::size_t count;
  bool hooked;  // the exit hook is armed
  bool dead;    // the exit hook ran: nothing is parked any more
};

[[gnu::tls_model("initial-exec")]] constinit thread_local impl_cache tls_parked{};

struct parked_exit_hook {
  ~parked_exit_hook() {
    auto& c = tls_parked;
    while (c.count > 0) {
      auto* im = c.items[--c.count];
      im->buf.reset();  // straight to the heap: the block cache may be gone already
      im->cap = 0;
      delete im;
    }
    c.hooked = false;
    c.dead = true;
  }
};

bool arm_parked_exit_hook() noexcept {
  detail::arm_thread_exit_hook<parked_exit_hook>();
  tls_parked.hooked = true;
  return true;
}

}  // namespace

server_codec::server_codec(const codec_settings& settings) : cfg_(settings) {}
server_codec::~server_codec() = default;
server_codec::server_codec(server_codec&&) noexcept = default;
server_codec& server_codec::operator=(server_codec&&) noexcept = default;

server_codec::impl& server_codec::live() {
  if (!impl_) {
    auto& c = tls_parked;
    if (c.count > 0) {
      impl_.reset(c.items[--c.count]);
      impl_->reset(cfg_, completed_);
    } else {
      impl_ = std::make_unique<impl>(cfg_);
      impl_->completed = completed_;
    }
  }
  return *impl_;
}

std::span<char> server_codec::prepare(std::size_t min_size) { return live().prepare(min_size); }

void server_codec::commit(std::size_t n) noexcept {
  assert(impl_ && n <= impl_->cap - impl_->end);
  impl_->end += n;
}

void server_codec::feed(std::string_view bytes) {
  if (bytes.empty()) return;
  auto space = prepare(bytes.size());
  std::memcpy(space.data(), bytes.data(), bytes.size());
  commit(bytes.size());
}

bool server_codec::release_buffer() noexcept {
  if (!impl_) return true;
  auto& c = tls_parked;
  const bool room =
      c.count < max_cached_blocks && (c.hooked || (!c.dead && arm_parked_exit_hook()));
  // A parked impl keeps its read block: the next request takes both at once.
  if (!impl_->release_buffer(room)) return false;
  if (!impl_->parkable()) return true;
  completed_ = impl_->completed;
  if (room) {
    c.items[c.count++] = impl_.release();
  } else {
    impl_.reset();  // the cache is full: an idle connection still keeps nothing
  }
  return true;
}

void server_codec::finish() noexcept {
  if (!impl_) {  // parked, so between messages: the peer closed cleanly
    closed_while_parked_ = true;
    return;
  }
  impl_->eof = true;
}

codec_event server_codec::next() {
  if (impl_) [[likely]]
    return impl_->next();
  if (closed_while_parked_) return codec_event::closed;
  return live().next();
}

const http::request& server_codec::request() const noexcept {
  if (impl_) [[likely]]
    return impl_->req;
  static const http::request none;
  return none;
}
status server_codec::error_status() const noexcept {
  return impl_ ? impl_->err_status : status::bad_request;
}
std::string_view server_codec::error_reason() const noexcept {
  return impl_ ? impl_->err_reason : std::string_view();
}
bool server_codec::idle() const noexcept {
  return !impl_ || (!impl_->in_message && impl_->parsed == impl_->end);
}
std::size_t server_codec::requests_completed() const noexcept {
  return impl_ ? impl_->completed : completed_;
}

}  // namespace eddy::net::http
