// date_cache.cpp: IMF-fixdate formatting without locale or strftime.
#include <eddy/net/http/date_cache.hpp>

#include <ctime>

namespace eddy::net::http {
namespace {

void put2(char* p, int v) noexcept {
  p[0] = char('0' + v / 10);
  p[1] = char('0' + v % 10);
}

}  // namespace

void format_http_date(std::int64_t seconds, char (&out)[29]) noexcept {
  static constexpr char days[] = "SunMonTueWedThuFriSat";
  static constexpr char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  // "Sun, 06 Nov 1994 08:49:37 GMT"
  char* p = out;
  for (int i = 0; i < 3; ++i) p[i] = days[tm.tm_wday * 3 + i];
  p[3] = ',';
  p[4] = ' ';
  put2(p + 5, tm.tm_mday);
  p[7] = ' ';
  for (int i = 0; i < 3; ++i) p[8 + i] = months[tm.tm_mon * 3 + i];
  p[11] = ' ';
  int year = tm.tm_year + 1900;
  put2(p + 12, (year / 100) % 100);
  put2(p + 14, year % 100);
  p[16] = ' ';
  put2(p + 17, tm.tm_hour);
  p[19] = ':';
  put2(p + 20, tm.tm_min);
  p[22] = ':';
  put2(p + 23, tm.tm_sec);
  p[25] = ' ';
  p[26] = 'G';
  p[27] = 'M';
  p[28] = 'T';
}

std::string_view date_cache::get(std::chrono::system_clock::time_point now) noexcept {
  return at_second(std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count());
}

std::string_view date_cache::now() noexcept {
  ::timespec ts{};
  if (::clock_gettime(CLOCK_REALTIME_COARSE, &ts) != 0)
    return get(std::chrono::system_clock::now());
  return at_second(ts.tv_sec);
}

std::string_view date_cache::at_second(std::int64_t second) noexcept {
  if (second != second_) {
    second_ = second;
    format_http_date(second, text_);
    ++formats_;
  }
  return {text_, sizeof text_};
}

}  // namespace eddy::net::http
