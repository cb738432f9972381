// codec_simple_head_test.cpp: the codec's simple-head fast path (server_codec.cpp,
// invariant 6) parses exactly as llhttp does. The same bytes go through a codec
// with the fast path and one without (codec_settings::simple_heads), whole and
// one byte at a time (then the fast path never applies: it needs a whole head);
// the runs must give the same requests, the same error status and reason, and
// the same end, for heads on both sides of every line the fast path draws.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "tests/net/http/codec_harness.hpp"

namespace eddy::net::http {
namespace {

using test::run;
using test::run_result;

run_result bytewise(std::string_view bytes, const codec_settings& settings) {
  std::vector<std::string_view> pieces;
  for (std::size_t i = 0; i < bytes.size(); ++i) pieces.push_back(bytes.substr(i, 1));
  return run(pieces, false, settings);
}

void expect_same(std::string_view bytes, codec_settings settings = {}) {
  settings.simple_heads = true;
  const auto fast = run(bytes, false, settings);
  settings.simple_heads = false;
  const auto llhttp = run(bytes, false, settings);
  EXPECT_EQ(fast.requests, llhttp.requests) << bytes;
  EXPECT_EQ(fast.error, llhttp.error) << bytes;
  EXPECT_EQ(fast.error_status, llhttp.error_status) << bytes;
  EXPECT_EQ(fast.error_reason, llhttp.error_reason) << bytes;
  EXPECT_EQ(fast.closed, llhttp.closed) << bytes;
  if (!fast.error) {  // a valid stream parses the same in any pieces
    const auto single = bytewise(bytes, settings);
    EXPECT_EQ(fast.requests, single.requests) << bytes;
  }
}

TEST(CodecSimpleHead, AcceptedHeadsParseAsLlhttpParsesThem) {
  const char* heads[] = {
      "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
      "HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /a%20b/%C3%A9?q=1&r=%20 HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /p?x=1:2@3/4;5,6!$&'()*+=~-._ HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /a?b?c%20 HTTP/1.1\r\nHost: a\r\n\r\n",  // a '%' and a second '?' in the query
      "GET /a%41?%42 HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /? HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET / HTTP/1.0\r\n\r\n",
      "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
      // Connection tokens and Host, as the scan counts them itself.
      "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, CLOSE\r\n\r\n",
      "GET / HTTP/1.0\r\nConnection: Keep-Alive \r\nHost: a\r\n\r\nGET /2 HTTP/1.0\r\n\r\n",
      "GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n",
      // A tab after the token is OWS: the codec keeps the connection, and llhttp
      // (whose own check misses the token) must parse the next message (invariant 7).
      "GET / HTTP/1.0\r\nConnection: keep-alive\t\r\n\r\nGET /2 HTTP/1.0\r\n\r\n",
      "POST / HTTP/1.0\r\nConnection: keep-alive\t\r\nContent-Length: 1\r\n\r\nx"
      "POST /2 HTTP/1.0\r\nContent-Length: 0\r\n\r\n",
      "HEAD /x?y HTTP/1.1\r\nHost: a\r\nConnection: foo,  keep-alive\r\n\r\n"
      "GET /z HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET / HTTP/1.1\r\nX: 1\r\nHOST: a\r\nConnection:close\r\n\r\n",
      "GET / HTTP/1.1\r\nHosts: a\r\nHost: b\r\nConnectio: close\r\n\r\n",
      "GET / HTTP/1.1\r\nhOsT: a\r\nX-Empty:\r\nX-Ows:   padded \t \r\nX-Tab:\tv\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nAccept: */*\r\nUser-Agent: curl/7.88.1\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nX-Quote: \"a b\" c=d\r\n\r\n",
      // Pipelined, and alternating with heads that llhttp must parse.
      "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: "
      "3\r\n\r\nabc"
      "GET /3 HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /1 HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n"
      "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n",
      "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
  };
  for (const char* h : heads) {
    expect_same(h);
    const auto r = run(h);
    EXPECT_FALSE(r.error) << h << ": " << r.error_reason;
    EXPECT_FALSE(r.requests.empty()) << h;
  }
}

TEST(CodecSimpleHead, EdgeHeadsGiveWhatLlhttpGives) {
  const char* heads[] = {
      "GET / HTTP/1.1\r\n\r\n",                        // no Host
      "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",  // two
      "GET / HTTP/1.1\r\nHost: a\r\nExpect: something\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nExpect: 100-continue\r\n\r\n",
      "GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n",  // bad percent-encoding
      "GET /%00 HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",  // two spaces
      "GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
      "GET / HTTP/1.2\r\nHost: a\r\n\r\n",
      "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
      "GET / HTTP/1.1\r\nHost : a\r\n\r\n",            // space before the colon
      "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",  // obs-fold
      "GET / HTTP/1.1\r\nHost: a\r\n\tfolded\r\n\r\n",
      "GET / HTTP/1.1\r\n: empty name\r\nHost: a\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\nX: bare LF\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\rX: bare CR\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n",  // control in a value
      "GET / HTTP/1.1\r\nHo\x7fst: a\r\n\r\n",
      "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /a\"b HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /#frag HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /\x80 HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nX: \xc3\xa9\r\n\r\n",  // obs-text
      "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
      "GET /\r\n\r\n",  // HTTP/0.9
      "get / HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n",  // absolute-form: llhttp's
      "GET * HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /bad%zz HTTP/1.1\r\nHost: a\r\n\r\n",  // 400 either way
      "GET /%00 HTTP/1.1\r\nHost: a\r\n\r\n",
      // Trailing OWS after a Connection token, then bytes that are no request.
      "GET / HTTP/1.0\r\nConnection: keep-alive\t\r\n\r\n\r\n\n\rGET /x.0\r\n\r\n",
  };
  for (const char* h : heads) expect_same(h);
}

TEST(CodecSimpleHead, LimitsAreTheSameOnBothPaths) {
  codec_settings tight;
  tight.max_uri_bytes = 8;
  tight.max_header_count = 2;
  tight.max_header_bytes = 64;
  expect_same("GET /12345678 HTTP/1.1\r\nHost: a\r\n\r\n", tight);          // target at the limit
  expect_same("GET /123456789 HTTP/1.1\r\nHost: a\r\n\r\n", tight);         // one over: 414
  expect_same("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\r\n", tight);          // two fields
  expect_same("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nY: 2\r\n\r\n", tight);  // three: 431
  expect_same("GET / HTTP/1.1\r\nHost: a\r\nX: 0123456789012345678901234567890\r\n\r\n",
              tight);  // head over 64 bytes: 431
  const auto over = run("GET /123456789 HTTP/1.1\r\nHost: a\r\n\r\n", false, tight);
  EXPECT_TRUE(over.error);
  EXPECT_EQ(over.error_status, status::uri_too_long);
}

// The fast path ends its runs of name, value and target bytes on a NUL it writes
// just past the received bytes when the buffer has room for one, and checks the
// bounds when the bytes fill the buffer to its last byte. Both ways give what
// llhttp gives: here a head whose first read stops inside a long value, with the
// buffer full (room 0) or one byte short of it (room 1), then the rest arrives.
TEST(CodecSimpleHead, HeadsThatFillTheBufferOrLeaveRoomParseAsLlhttp) {
  for (std::size_t room : {0u, 1u}) {
    SCOPED_TRACE(room);
    std::vector<test::parsed> got[2];
    for (bool simple : {true, false}) {
      codec_settings s;
      s.simple_heads = simple;
      s.max_header_bytes = 1 << 20;  // the buffer, not this limit, is what ends the bytes
      server_codec codec(s);
      const auto space = codec.prepare();
      const std::string start = "GET /plain/text HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nX-Pad: ";
      const std::string head = start + std::string(space.size(), 'v') + "\r\n\r\n";
      const std::size_t first = space.size() - room;
      std::copy_n(head.data(), first, space.data());
      codec.commit(first);
      ASSERT_EQ(codec.next(), codec_event::need_input);
      codec.feed(std::string_view(head).substr(first));
      ASSERT_EQ(codec.next(), codec_event::request);
      got[simple ? 0 : 1].push_back(test::copy(codec.request()));
    }
    EXPECT_EQ(got[0], got[1]);
    EXPECT_EQ(got[0][0].path, "/plain/text");
  }
}

}  // namespace
}  // namespace eddy::net::http
