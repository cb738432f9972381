// codec_errors_test.cpp: every bad input gets its status and ends the connection;
// the limits are settings.
#include <gtest/gtest.h>

#include <string>

#include "tests/net/http/codec_harness.hpp"

namespace eddy::net::http {
namespace {

using test::run;

status error_of(std::string_view bytes, const codec_settings& settings = {}) {
  auto r = run(bytes, /*eof=*/false, settings);
  EXPECT_TRUE(r.error) << "accepted: " << bytes.substr(0, 200);
  return r.error ? r.error_status : status::ok;
}

TEST(ServerCodecErrors, MalformedRequestLineIs400) {
  EXPECT_EQ(error_of("GARBAGE\r\n\r\n"), status::bad_request);
  EXPECT_EQ(error_of("GET  / HTTP/1.1\r\nHost: h\r\n\r\n"), status::bad_request);
  EXPECT_EQ(error_of("GET / HTTP/1.1 extra\r\nHost: h\r\n\r\n"), status::bad_request);
  EXPECT_EQ(error_of("GET / FOO/1.1\r\nHost: h\r\n\r\n"), status::bad_request);
  EXPECT_EQ(error_of("\x01\x02\x03\r\n\r\n"), status::bad_request);
  EXPECT_EQ(error_of("GET noslash HTTP/1.1\r\nHost: h\r\n\r\n"), status::bad_request);
  EXPECT_EQ(error_of("GET * HTTP/1.1\r\nHost: h\r\n\r\n"), status::bad_request);
}

TEST(ServerCodecErrors, Http09IsRefusedNotAnswered) {
  EXPECT_EQ(error_of("GET /\r\n\r\n"), status::bad_request);
}

TEST(ServerCodecErrors, Http09IsRefusedAsSoonAsItsLineEnds) {
  // No blank line follows: the 400 must not wait for a header section (the
  // client would get the header timeout's 408 instead).
  EXPECT_EQ(error_of("GET /\r\n"), status::bad_request);
  EXPECT_EQ(error_of("GET /plaintext?q=1\r"), status::bad_request);
  EXPECT_EQ(error_of("GET /\n"), status::bad_request);
  EXPECT_EQ(error_of("GET /\r\nHost: h\r\n"), status::bad_request);
  // Byte by byte: refused on the CR, never accepted before it.
  server_codec codec;
  for (char c : std::string_view("GET /abc")) {
    codec.feed(std::string_view(&c, 1));
    EXPECT_EQ(codec.next(), codec_event::need_input);
  }
  codec.feed("\r");
  EXPECT_EQ(codec.next(), codec_event::error);
  EXPECT_EQ(codec.error_status(), status::bad_request);
  // After a complete request on the same connection too.
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\n\r\nGET /\r\n"), status::bad_request);
}

TEST(ServerCodecErrors, UnfinishedRequestLinesWait) {
  for (std::string_view partial : {"GET", "GET /", "GET / ", "GET / H", "GET / HTTP/1.1",
                                   "GET / HTTP/1.1\r", "GET / HTTP/1.1\r\nHost: h\r\n"}) {
    auto r = run(partial, /*eof=*/false);
    EXPECT_FALSE(r.error) << partial << ": " << r.error_reason;
  }
}

TEST(ServerCodecErrors, OtherMajorVersionsAre505) {
  EXPECT_EQ(error_of("GET / HTTP/2.0\r\nHost: h\r\n\r\n"), status::http_version_not_supported);
  EXPECT_EQ(error_of("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), status::http_version_not_supported);
}

TEST(ServerCodecErrors, UnparsableHeadsAre400) {
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHo st: h\r\n\r\n"), status::bad_request);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost h\r\n\r\n"), status::bad_request);
  EXPECT_EQ(error_of("GET / HTTP/1.1\nHost: h\n\n"), status::bad_request);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\nX: a\x01\r\n\r\n"), status::bad_request);
}

TEST(ServerCodecErrors, EmptyFieldNameIs400) {
  // Found by the fuzzer: llhttp accepts a field line starting with ':', which made
  // a request with an empty header name (and hid a Content-Length).
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: a\r\n:ontent-Length: 1\r\n\r\nx"),
            status::bad_request);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\n: x\r\nHost: a\r\n\r\n"), status::bad_request);
}

TEST(ServerCodecErrors, SmugglingVectorsAre400) {
  // Content-Length with Transfer-Encoding.
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            status::bad_request);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
                     "Content-Length: 3\r\n\r\n0\r\n\r\n"),
            status::bad_request);
  // Differing duplicate Content-Length (identical duplicates are refused too).
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
                     "Content-Length: 4\r\n\r\nabcd"),
            status::bad_request);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 4\r\n\r\nabcd"),
            status::bad_request);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n"),
            status::bad_request);
  // Transfer-Encoding whose last coding is not chunked.
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
            status::bad_request);
  // Bad chunk sizes.
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
            status::bad_request);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "-1\r\n"),
            status::bad_request);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "1\r\nab\r\n"),
            status::bad_request);
  EXPECT_NE(error_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "fffffffffffffffffffff\r\n"),
            status::ok);
  // obs-fold.
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n"), status::bad_request);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n"), status::bad_request);
}

TEST(ServerCodecErrors, ObsFoldIsFoundWhateverTheSplit) {
  std::string_view bytes = "GET / HTTP/1.1\r\nHost: h\r\nX: abc\r\n def\r\n\r\n";
  for (std::size_t i = 1; i < bytes.size(); ++i) {
    auto r = run({bytes.substr(0, i), bytes.substr(i)});
    ASSERT_TRUE(r.error) << "split at " << i;
    ASSERT_EQ(r.error_status, status::bad_request);
  }
}

TEST(ServerCodecErrors, HostMustBeThereExactlyOnce) {
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\n\r\n"), status::bad_request);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n"), status::bad_request);
  EXPECT_EQ(error_of("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"), status::bad_request);
  EXPECT_EQ(run("GET / HTTP/1.0\r\n\r\n").requests.size(), 1u);
}

TEST(ServerCodecErrors, BadPercentEncodingIs400) {
  EXPECT_EQ(error_of("GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n"), status::bad_request);
  EXPECT_EQ(error_of("GET /a%2 HTTP/1.1\r\nHost: h\r\n\r\n"), status::bad_request);
  EXPECT_EQ(error_of("GET /a%00b HTTP/1.1\r\nHost: h\r\n\r\n"), status::bad_request);
}

TEST(ServerCodecErrors, UnknownExpectationIs417) {
  EXPECT_EQ(error_of("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\nx"),
            status::expectation_failed);
}

TEST(ServerCodecErrors, HeaderSectionOver16KiBIs431) {
  std::string big =
      "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(16 * 1024, 'a') + "\r\n\r\n";
  EXPECT_EQ(error_of(big), status::request_header_fields_too_large);
  // Split or not, and also when the head never ends.
  std::string_view half = big;
  auto r = run({half.substr(0, 9000), half.substr(9000)});
  EXPECT_EQ(r.error_status, status::request_header_fields_too_large);
  std::string endless = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 2000; ++i) endless += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(error_of(endless, {.max_header_count = 10000}),
            status::request_header_fields_too_large);
  // Just under the limit passes.
  std::string fits =
      "GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(16 * 1024 - 100, 'a') + "\r\n\r\n";
  EXPECT_EQ(run(fits).requests.size(), 1u);
}

TEST(ServerCodecErrors, TooManyHeaderFieldsIs431) {
  std::string head = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 200; ++i) head += "X: v\r\n";
  EXPECT_EQ(error_of(head + "\r\n"), status::request_header_fields_too_large);
}

TEST(ServerCodecErrors, UriOver8KiBIs414) {
  std::string uri = "/" + std::string(8 * 1024, 'a');
  EXPECT_EQ(error_of("GET " + uri + " HTTP/1.1\r\nHost: h\r\n\r\n"), status::uri_too_long);
  // Byte by byte too: the limit holds for a target that is still arriving.
  std::string bytes = "GET " + uri;
  std::vector<std::string_view> pieces;
  std::string_view all = bytes;
  for (std::size_t i = 0; i < all.size(); ++i) pieces.push_back(all.substr(i, 1));
  EXPECT_EQ(run(pieces).error_status, status::uri_too_long);
  std::string fits = "/" + std::string(8 * 1024 - 1, 'a');
  EXPECT_EQ(run("GET " + fits + " HTTP/1.1\r\nHost: h\r\n\r\n").requests.size(), 1u);
}

TEST(ServerCodecErrors, BodyOver1MiBIs413) {
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1048577\r\n\r\n"),
            status::content_too_large);
  // A chunk size that would pass the limit is refused before the chunk arrives.
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "100001\r\n"),
            status::content_too_large);
  // Chunks that add up past the limit.
  std::string chunks = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string chunk(64 * 1024, 'x');
  for (int i = 0; i < 17; ++i) chunks += "10000\r\n" + chunk + "\r\n";
  EXPECT_EQ(error_of(chunks), status::content_too_large);
  // Exactly 1 MiB passes.
  std::string fits = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1048576\r\n\r\n" +
                     std::string(1024 * 1024, 'y');
  auto r = run(fits);
  ASSERT_EQ(r.requests.size(), 1u);
  EXPECT_EQ(r.requests[0].body.size(), 1024u * 1024u);
}

TEST(ServerCodecErrors, LimitsAreSettings) {
  codec_settings small{
      .max_header_bytes = 64, .max_uri_bytes = 8, .max_header_count = 2, .max_body_bytes = 4};
  EXPECT_EQ(error_of("GET /123456789 HTTP/1.1\r\nHost: h\r\n\r\n", small), status::uri_too_long);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(60, 'a') + "\r\n\r\n", small),
            status::request_header_fields_too_large);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", small),
            status::request_header_fields_too_large);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n", small),
            status::content_too_large);
  EXPECT_EQ(run("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nabcd", false, small)
                .requests.size(),
            1u);
}

TEST(ServerCodecErrors, ErrorsAreStickyAndComeAfterEarlierRequests) {
  server_codec codec;
  codec.feed(
      "GET /ok HTTP/1.1\r\nHost: h\r\n\r\nGET /bad HTTP/1.1\r\n\r\nGET /never HTTP/1.1\r\n\r\n");
  ASSERT_EQ(codec.next(), codec_event::request);
  EXPECT_EQ(codec.request().path(), "/ok");
  ASSERT_EQ(codec.next(), codec_event::error);
  EXPECT_EQ(codec.error_status(), status::bad_request);
  EXPECT_EQ(codec.error_reason(), "missing Host");
  EXPECT_EQ(codec.next(), codec_event::error);
  codec.feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(codec.next(), codec_event::error);
}

}  // namespace
}  // namespace eddy::net::http
