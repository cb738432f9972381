// connection_driver.hpp: one whole connection's request handling, synchronously:
// input bytes split at points chosen by the input itself, the codec, a trivial
// responder and the serializer, with the output drained by partial "writes".
// Shared by the libFuzzer target and the corpus replay test (fuzz_corpus_test).
//
// Input layout: byte 0 picks the limits (bit 7: tiny limits, so the limit paths are
// reachable) and seeds the split points; the rest is what the client sends.
// Invariants that must hold for every input abort the process when violated.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <eddy/net/http/date_cache.hpp>
#include <eddy/net/http/serializer.hpp>
#include <eddy/net/http/server_codec.hpp>
#include <eddy/net/http/static_file.hpp>

namespace eddy::net::http::fuzz {

inline void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

// The responder: echoes what it parsed, so every request field is read.
inline response respond(const request& req) {
  if (req.path().starts_with("/static/")) {
    auto rel = safe_relative_path(req.raw_path().substr(8));
    if (!rel) return response(status::not_found);
    std::string_view p = *rel;
    check(!p.empty() && p.front() != '/', "relative path is relative");
    check(p.find('\0') == std::string_view::npos, "no NUL in a resolved path");
    check(p != ".." && !p.starts_with("../") && !p.ends_with("/..") &&
              p.find("/../") == std::string_view::npos,
          "no .. segment in a resolved path");
    return response::with_body(status::ok, std::string(p), content_type_for(p));
  }
  if (req.method() == method::delete_) return response::method_not_allowed("GET, HEAD, POST");
  std::string body(req.path());
  body += '\n';
  for (const auto& f : req.headers()) {
    check(!f.name.empty(), "header names are not empty");
    body.append(f.name).append(": ").append(f.value).append("\n");
  }
  body += req.body();
  response r = response::with_body(status::ok, std::move(body), "text/plain");
  if (req.query().starts_with("chunked")) r.set_chunked();
  return r;
}

// Writes what is buffered in pieces, as a short-writing socket would.
inline void drain_output(output_buffer& out, std::uint32_t& rng) {
  while (!out.empty()) {
    rng = rng * 1103515245u + 12345u;
    if (auto file = out.front_file()) {
      out.consume(file->length);
      continue;
    }
    iovec iov[16];
    std::size_t n = out.gather(iov, 16);
    check(n > 0, "memory segments gather");
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < n; ++i) total += iov[i].iov_len;
    std::uint64_t wrote = 1 + (rng >> 8) % total;
    out.consume(wrote);
  }
}

inline void run_connection(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return;
  const std::uint8_t control = data[0];
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  codec_settings settings;
  if (control & 0x80) {
    settings = {.max_header_bytes = 200,
                .max_uri_bytes = 40,
                .max_header_count = 6,
                .max_body_bytes = 64,
                .read_size = 16};
  }
  server_codec codec(settings);
  output_buffer out;
  date_cache dates;
  std::uint32_t rng = control | 1u;
  bool done = false;

  auto handle = [&] {
    for (;;) {
      switch (codec.next()) {
        case codec_event::need_input:
          return;
        case codec_event::expect_continue:
          check(codec.request().expects_continue(), "continue only when expected");
          write_continue(out);
          break;
        case codec_event::request: {
          const request& req = codec.request();
          check(req.body().size() <= settings.max_body_bytes, "body limit");
          check(req.target().size() <= settings.max_uri_bytes, "URI limit");
          check(req.headers().size() <= settings.max_header_count, "header count limit");
          check(req.version_major() == 1, "only HTTP/1.x requests");
          check(req.method() == method::connect || !req.path().empty(), "a path");
          check(req.path().find('\0') == std::string_view::npos, "no NUL in a path");
          response_context ctx{.date = dates.get({}),
                               .head = req.method() == method::head,
                               .keep_alive = req.keep_alive(),
                               .http_minor = req.version_minor()};
          auto w = write_response(out, respond(req), ctx);
          if (w.framing != body_framing::complete) {
            write_chunk(out, req.path(), w.framing);
            write_last_chunk(out, w.framing);
          }
          if (!w.keep_alive) done = true;
          break;
        }
        case codec_event::error: {
          auto code = static_cast<unsigned>(codec.error_status());
          check(code >= 400 && code < 600, "errors are 4xx or 5xx");
          write_error(out, codec.error_status(), dates.get({}));
          done = true;
          return;
        }
        case codec_event::closed:
          done = true;
          return;
      }
      if (done) return;
    }
  };

  std::size_t pos = 0;
  while (pos < input.size() && !done) {
    rng = rng * 1103515245u + 12345u;
    std::size_t n = 1 + (rng >> 16) % 97;
    auto piece = input.substr(pos, n);
    pos += piece.size();
    if (rng & 0x100) {
      codec.feed(piece);
    } else {  // the async server's path: prepare/commit
      auto space = codec.prepare(piece.size());
      check(space.size() >= piece.size(), "prepare gives the space asked for");
      piece.copy(space.data(), piece.size());
      codec.commit(piece.size());
    }
    handle();
    drain_output(out, rng);
  }
  if (!done) {
    codec.finish();
    handle();
    drain_output(out, rng);
  }
}

}  // namespace eddy::net::http::fuzz
