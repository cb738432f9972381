// char_class_test.cpp: the simple-head scan's runs (net/src/http/char_class.hpp)
// agree with their tables for every byte value, wherever it sits in a 16-byte
// block, whatever the bound and read-ahead.
#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include <eddy/net/http/headers.hpp>

#include "net/src/http/char_class.hpp"

namespace eddy::net::http::detail {
namespace {

// The plain answer: the first index from j whose byte is not in the table.
std::size_t table_run(const char_table& t, const std::string& s, std::size_t j, std::size_t n) {
  while (j < n && t[static_cast<unsigned char>(s[j])]) ++j;
  return j;
}

template <char_class K>
void check_class(char member) {
  const char_table& t = table_of(K);
  ASSERT_TRUE(t[static_cast<unsigned char>(member)]);
  for (int b = 0; b < 256; ++b) {
    for (std::size_t at : {0, 1, 7, 15, 16, 17, 31, 40}) {
      std::string s(64, member);
      s[at] = static_cast<char>(b);
      for (std::size_t start : {0, 3, 16}) {
        for (std::size_t n : {at, at + 1, std::size_t{47}}) {
          if (start > n) continue;
          const std::size_t want = table_run(t, s, start, n);
          // Read-ahead to the end of the string, and none at all.
          EXPECT_EQ((run_of<K>(s.data(), start, n, s.size(), false)), want)
              << int(K) << " byte " << b << " at " << at << " n " << n;
          EXPECT_EQ((run_of<K>(s.data(), start, n, n, false)), want);
          // With a NUL at n, as the scan puts one past the received bytes.
          std::string z = s;
          z[n] = '\0';
          EXPECT_EQ((run_of<K>(z.data(), start, n, z.size(), true)), table_run(t, z, start, n));
        }
      }
    }
  }
}

TEST(CharClass, RunsAgreeWithTheirTablesForEveryByte) {
  check_class<char_class::token>('a');
  check_class<char_class::plain_target>('/');
  check_class<char_class::value>(' ');
}

// For token names, the word-at-a-time comparison is iequals: every tchar at every
// position of the names the scan looks for, in both cases.
TEST(CharClass, TokenEqualsLowerIsIequalsOnTokens) {
  for (std::string_view lower : {"host", "expect", "upgrade", "connection", "content-length",
                                 "transfer-encoding", "te", "x"}) {
    std::string upper(lower);
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_TRUE(token_equals_lower(upper, lower)) << upper;
    EXPECT_FALSE(token_equals_lower(upper.substr(1), lower));
    for (std::size_t at = 0; at < lower.size(); ++at) {
      for (int b = 0; b < 256; ++b) {
        if (!token_chars[static_cast<unsigned char>(b)]) continue;
        for (const std::string& base : {std::string(lower), upper}) {
          std::string name = base;
          name[at] = static_cast<char>(b);
          EXPECT_EQ(token_equals_lower(name, lower), iequals(name, lower)) << name;
        }
      }
    }
  }
}

TEST(CharClass, TablesHoldTheRfcSets) {
  EXPECT_TRUE(token_chars['!'] && token_chars['~'] && token_chars['^'] && token_chars['9']);
  EXPECT_FALSE(token_chars[':'] || token_chars[' '] || token_chars['"'] || token_chars['@']);
  EXPECT_TRUE(plain_target_chars['/'] && plain_target_chars['@'] && plain_target_chars[';']);
  EXPECT_FALSE(plain_target_chars['?'] || plain_target_chars['%'] || plain_target_chars['#'] ||
               plain_target_chars[' '] || plain_target_chars['\\']);
  EXPECT_TRUE(value_chars['\t'] && value_chars[' '] && value_chars['~']);
  EXPECT_FALSE(value_chars['\r'] || value_chars[0x7f] || value_chars[0x80] || value_chars[0]);
}

}  // namespace
}  // namespace eddy::net::http::detail
