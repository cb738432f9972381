// http_fuzz.cpp: libFuzzer entry point; see connection_driver.hpp and run.sh.
// Besides the connection, every input checks the codec's simple-head fast path
// against llhttp (server_codec.cpp, invariant 6): the client bytes through a
// codec with the fast path and one without must give the same requests, the same
// error (status and reason) and the same end.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tests/net/http/codec_harness.hpp"
#include "tests/net/http/fuzz/connection_driver.hpp"

namespace {

void same_with_and_without_the_fast_path(std::string_view client, bool tiny) {
  using eddy::net::http::test::run;
  eddy::net::http::codec_settings s;
  if (tiny) {  // the limit paths, as connection_driver's bit 7
    s.max_header_bytes = 64;
    s.max_uri_bytes = 16;
    s.max_header_count = 3;
  }
  s.simple_heads = true;
  const auto fast = run(client, true, s);
  s.simple_heads = false;
  const auto slow = run(client, true, s);
  using eddy::net::http::fuzz::check;
  check(fast.requests == slow.requests, "fast path: same requests as llhttp");
  check(fast.continues == slow.continues, "fast path: same 100-continues as llhttp");
  check(fast.error == slow.error && fast.error_status == slow.error_status &&
            fast.error_reason == slow.error_reason,
        "fast path: same error as llhttp");
  check(fast.closed == slow.closed, "fast path: same end as llhttp");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  eddy::net::http::fuzz::run_connection(data, size);
  if (size > 1)
    same_with_and_without_the_fast_path({reinterpret_cast<const char*>(data) + 1, size - 1},
                                        (data[0] & 0x80) != 0);
  return 0;
}
