// http_fuzz.cpp: libFuzzer entry point; see connection_driver.hpp and run.sh.
#include <cstddef>
#include <cstdint>

#include "tests/net/http/fuzz/connection_driver.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  eddy::net::http::fuzz::run_connection(data, size);
  return 0;
}
