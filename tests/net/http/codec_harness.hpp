// codec_harness.hpp: drives a server_codec synchronously over a list of input
// pieces and records every event, with the requests copied out (their views die
// at the next call into the codec).
#pragma once

#include <eddy/net/http/server_codec.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eddy::net::http::test {

struct parsed {
  std::string method;
  std::string target;
  std::string path;
  std::string raw_path;
  std::string query;
  int minor = 1;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool keep_alive = true;
  bool chunked = false;
  bool expects_continue = false;

  bool operator==(const parsed&) const = default;
};

struct run_result {
  std::vector<parsed> requests;
  int continues = 0;
  bool error = false;
  status error_status = status::ok;
  std::string error_reason;
  bool closed = false;
};

inline parsed copy(const request& r) {
  parsed p{std::string(r.method_name()),
           std::string(r.target()),
           std::string(r.path()),
           std::string(r.raw_path()),
           std::string(r.query()),
           r.version_minor(),
           {},
           std::string(r.body()),
           r.keep_alive(),
           r.chunked(),
           r.expects_continue()};
  for (const auto& f : r.headers()) p.headers.emplace_back(f.name, f.value);
  return p;
}

// Returns false once the connection is over (error or closed).
inline bool drain(server_codec& codec, run_result& out) {
  for (;;) {
    switch (codec.next()) {
      case codec_event::need_input:
        return true;
      case codec_event::request:
        out.requests.push_back(copy(codec.request()));
        break;
      case codec_event::expect_continue:
        ++out.continues;
        break;
      case codec_event::error:
        out.error = true;
        out.error_status = codec.error_status();
        out.error_reason = std::string(codec.error_reason());
        return false;
      case codec_event::closed:
        out.closed = true;
        return false;
    }
  }
}

inline run_result run(const std::vector<std::string_view>& pieces, bool eof = false,
                      const codec_settings& settings = {}) {
  server_codec codec(settings);
  run_result out;
  for (auto piece : pieces) {
    codec.feed(piece);
    if (!drain(codec, out)) return out;
  }
  if (eof) {
    codec.finish();
    drain(codec, out);
  }
  return out;
}

inline run_result run(std::string_view bytes, bool eof = false,
                      const codec_settings& settings = {}) {
  return run(std::vector<std::string_view>{bytes}, eof, settings);
}

}  // namespace eddy::net::http::test
