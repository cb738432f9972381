// fuzz_corpus_test.cpp: replays the fuzzer's checked-in corpus (seeds and any
// crash reproducers added to it) through the same connection driver, so every
// compiler and sanitizer build checks them, not only the clang fuzz build.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "tests/net/http/fuzz/connection_driver.hpp"

namespace eddy::net::http {
namespace {

TEST(FuzzCorpus, EveryInputRunsCleanly) {
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(EDDY_HTTP_FUZZ_CORPUS)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    SCOPED_TRACE(entry.path().string());
    fuzz::run_connection(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    ++files;
  }
  EXPECT_GE(files, 10u);
}

}  // namespace
}  // namespace eddy::net::http
