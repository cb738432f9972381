// date_cache.hpp: the Date field value (IMF-fixdate, RFC 9110 section 5.6.7),
// formatted at most once per second rather than per response.
//
// Thread safety: none; keep one per executor thread (or per connection).
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

namespace eddy::net::http {

class date_cache {
 public:
  /// "Sun, 06 Nov 1994 08:49:37 GMT" for `now`; reformats only when the second
  /// changed since the last call. The view is valid until the next get().
  std::string_view get(std::chrono::system_clock::time_point now) noexcept;
  /// The Date for now, from CLOCK_REALTIME_COARSE (the vDSO returns the last
  /// tick's time without reading the hardware clock; it lags by at most a tick,
  /// and the header shows whole seconds).
  std::string_view now() noexcept;
  /// How many times the value was formatted (for tests).
  std::uint64_t formats() const noexcept { return formats_; }

 private:
  std::string_view at_second(std::int64_t second) noexcept;
  std::int64_t second_ = INT64_MIN;
  std::uint64_t formats_ = 0;
  char text_[29] = {};
};

/// Formats `seconds` since the epoch as IMF-fixdate into `out` (29 bytes).
void format_http_date(std::int64_t seconds, char (&out)[29]) noexcept;

}  // namespace eddy::net::http
