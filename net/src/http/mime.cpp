// mime.cpp: Content-Type by file extension; a short table of what web roots hold.
#include <eddy/net/http/headers.hpp>
#include <eddy/net/http/static_file.hpp>

#include <array>
#include <utility>

namespace eddy::net::http {

std::string_view content_type_for(std::string_view path) noexcept {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 30> types{{
      {"html", "text/html; charset=utf-8"},
      {"htm", "text/html; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"json", "application/json"},
      {"txt", "text/plain; charset=utf-8"},
      {"md", "text/markdown; charset=utf-8"},
      {"csv", "text/csv; charset=utf-8"},
      {"xml", "application/xml"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"avif", "image/avif"},
      {"ico", "image/vnd.microsoft.icon"},
      {"wasm", "application/wasm"},
      {"pdf", "application/pdf"},
      {"zip", "application/zip"},
      {"gz", "application/gzip"},
      {"tar", "application/x-tar"},
      {"mp3", "audio/mpeg"},
      {"mp4", "video/mp4"},
      {"webm", "video/webm"},
      {"woff", "font/woff"},
      {"woff2", "font/woff2"},
      {"ttf", "font/ttf"},
      {"otf", "font/otf"},
  }};
  auto slash = path.find_last_of('/');
  auto name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  auto dot = name.find_last_of('.');
  if (dot != std::string_view::npos && dot + 1 < name.size()) {
    auto ext = name.substr(dot + 1);
    for (const auto& [e, type] : types) {
      if (iequals(e, ext)) return type;
    }
  }
  return "application/octet-stream";
}

}  // namespace eddy::net::http
