// codec_test.cpp: server_codec on valid input: parsing, pipelining, arbitrary
// splits, bodies, keep-alive and 100-continue.
#include <gtest/gtest.h>

#include <string>

#include "tests/net/http/codec_harness.hpp"

namespace eddy::net::http {
namespace {

using test::run;

TEST(ServerCodec, ParsesASimpleGet) {
  auto r = run("GET /hello?name=x HTTP/1.1\r\nHost: example.com\r\nX-Thing:  a b  \r\n\r\n");
  ASSERT_FALSE(r.error) << r.error_reason;
  ASSERT_EQ(r.requests.size(), 1u);
  const auto& q = r.requests[0];
  EXPECT_EQ(q.method, "GET");
  EXPECT_EQ(q.target, "/hello?name=x");
  EXPECT_EQ(q.path, "/hello");
  EXPECT_EQ(q.query, "name=x");
  EXPECT_EQ(q.minor, 1);
  ASSERT_EQ(q.headers.size(), 2u);
  EXPECT_EQ(q.headers[1].second, "a b");  // surrounding whitespace trimmed
  EXPECT_TRUE(q.keep_alive);
  EXPECT_TRUE(q.body.empty());
}

TEST(ServerCodec, RequestViewsAndHeaderLookup) {
  server_codec codec;
  codec.feed("POST /p HTTP/1.1\r\nhOsT: h\r\nContent-LENGTH: 3\r\n\r\nabc");
  ASSERT_EQ(codec.next(), codec_event::request);
  const auto& req = codec.request();
  EXPECT_EQ(req.method(), method::post);
  EXPECT_EQ(req.header("host"), "h");
  EXPECT_EQ(req.header("CONTENT-length"), "3");
  EXPECT_FALSE(req.header("missing"));
  EXPECT_EQ(req.content_length(), 3u);
  EXPECT_EQ(req.body(), "abc");
  EXPECT_EQ(codec.requests_completed(), 1u);
  EXPECT_EQ(codec.next(), codec_event::need_input);
  EXPECT_TRUE(codec.idle());
}

TEST(ServerCodec, DecodesThePathButNotTheQuery) {
  auto r = run("GET /a%20b/%C3%A9%2Fc?x=%20&y HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(r.requests.size(), 1u);
  EXPECT_EQ(r.requests[0].path, "/a b/\xC3\xA9/c");
  EXPECT_EQ(r.requests[0].raw_path, "/a%20b/%C3%A9%2Fc");
  EXPECT_EQ(r.requests[0].query, "x=%20&y");
  EXPECT_EQ(query_param(r.requests[0].query, "x"), "%20");
  EXPECT_EQ(query_param(r.requests[0].query, "y"), "");
  EXPECT_FALSE(query_param(r.requests[0].query, "z"));
}

// An escape-free path is the raw path itself (a view into the buffer, no copy);
// an escaped one is decoded. Both stay right when a large body makes the buffer
// grow and move after the head was parsed (the request is materialised again).
TEST(ServerCodec, PathIsAViewUnlessEscapedAndSurvivesABufferMove) {
  for (std::string_view target : {"/plain/path", "/a%20b"}) {
    SCOPED_TRACE(target);
    const bool escaped = target.find('%') != std::string_view::npos;
    const std::string body(200 * 1024, 'x');
    const std::string head =
        "POST " + std::string(target) +
        " HTTP/1.1\r\nHost: h\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    server_codec codec;
    codec.feed(head + body.substr(0, 10));
    ASSERT_EQ(codec.next(), codec_event::need_input);  // head parsed, body pending
    const char* const first = codec.request().raw_path().data();
    const std::string_view rest = std::string_view(body).substr(10);
    for (std::size_t i = 0; i + 4096 < rest.size(); i += 4096) {
      codec.feed(rest.substr(i, 4096));
      ASSERT_EQ(codec.next(), codec_event::need_input);
    }
    codec.feed(rest.substr(rest.size() / 4096 * 4096));
    ASSERT_EQ(codec.next(), codec_event::request);
    EXPECT_NE(codec.request().raw_path().data(), first);  // the buffer did move
    const auto& req = codec.request();
    EXPECT_EQ(req.path(), escaped ? std::string_view("/a b") : target);
    EXPECT_EQ(req.raw_path(), target);
    EXPECT_EQ(req.body().size(), body.size());
    EXPECT_EQ(req.path().data() == req.raw_path().data(), !escaped);
  }
}

TEST(ServerCodec, AcceptsAbsoluteFormTargets) {
  auto r =
      run("GET http://example.com/p/q?s=1 HTTP/1.1\r\nHost: example.com\r\n\r\n"
          "GET https://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n"
          "OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n");
  ASSERT_FALSE(r.error) << r.error_reason;
  ASSERT_EQ(r.requests.size(), 3u);
  EXPECT_EQ(r.requests[0].path, "/p/q");
  EXPECT_EQ(r.requests[0].query, "s=1");
  EXPECT_EQ(r.requests[1].path, "/");
  EXPECT_EQ(r.requests[2].path, "*");
}

// A mix of every body kind, used by the pipelining and splitting tests.
std::string mixed_requests() {
  return "GET /one HTTP/1.1\r\nHost: h\r\n\r\n"
         "POST /two HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
         "POST /three HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
         "4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nX-Trailer: t\r\n\r\n"
         "\r\n"  // a stray empty line between requests is allowed (RFC 9112 section 2.2)
         "HEAD /four HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n";
}

TEST(ServerCodec, HundredPipelinedRequestsInOneFeedComeOutInOrder) {
  std::string bytes;
  for (int i = 0; i < 100; ++i) {
    if (i % 3 == 0) {
      bytes += "POST /r" + std::to_string(i) + " HTTP/1.1\r\nHost: h\r\nContent-Length: " +
               std::to_string(std::to_string(i).size()) + "\r\n\r\n" + std::to_string(i);
    } else {
      bytes += "GET /r" + std::to_string(i) + " HTTP/1.1\r\nHost: h\r\n\r\n";
    }
  }
  auto r = run(bytes);
  ASSERT_FALSE(r.error) << r.error_reason;
  ASSERT_EQ(r.requests.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(r.requests[i].path, "/r" + std::to_string(i));
    if (i % 3 == 0) {
      EXPECT_EQ(r.requests[i].body, std::to_string(i));
    }
  }
}

TEST(ServerCodec, SplitAtEveryBoundaryGivesTheSameRequests) {
  const std::string bytes = mixed_requests();
  auto whole = run(bytes);
  ASSERT_FALSE(whole.error) << whole.error_reason;
  ASSERT_EQ(whole.requests.size(), 4u);
  EXPECT_EQ(whole.requests[2].body, "Wikipedia");
  EXPECT_TRUE(whole.requests[2].chunked);
  std::string_view all = bytes;
  for (std::size_t i = 1; i < bytes.size(); ++i) {
    auto two = run({all.substr(0, i), all.substr(i)});
    ASSERT_EQ(two.requests, whole.requests) << "split at " << i;
    ASSERT_FALSE(two.error);
  }
  std::vector<std::string_view> bytewise;
  for (std::size_t i = 0; i < bytes.size(); ++i) bytewise.push_back(all.substr(i, 1));
  auto single = run(bytewise);
  EXPECT_EQ(single.requests, whole.requests);
}

TEST(ServerCodec, DechunksLargeBodiesFedInPieces) {
  // One-byte chunks make the framing five times the body: the codec must squeeze
  // it out between reads rather than keep it.
  std::string bytes = "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string body;
  for (int i = 0; i < 100000; ++i) {
    char c = static_cast<char>('a' + i % 26);
    body += c;
    bytes += "1\r\n";
    bytes += c;
    bytes += "\r\n";
  }
  bytes += "0\r\n\r\n";
  std::vector<std::string_view> pieces;
  std::string_view all = bytes;
  for (std::size_t i = 0; i < all.size(); i += 1000) pieces.push_back(all.substr(i, 1000));
  auto r = run(pieces);
  ASSERT_FALSE(r.error) << r.error_reason;
  ASSERT_EQ(r.requests.size(), 1u);
  EXPECT_EQ(r.requests[0].body, body);
}

TEST(ServerCodec, KeepAliveFollowsRfc9112) {
  EXPECT_TRUE(run("GET / HTTP/1.1\r\nHost: h\r\n\r\n").requests.at(0).keep_alive);
  EXPECT_FALSE(
      run("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").requests.at(0).keep_alive);
  EXPECT_FALSE(run("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, CLOSE\r\n\r\n")
                   .requests.at(0)
                   .keep_alive);
  EXPECT_FALSE(run("GET / HTTP/1.0\r\n\r\n").requests.at(0).keep_alive);
  EXPECT_TRUE(run("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").requests.at(0).keep_alive);
  EXPECT_FALSE(run("CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n").requests.at(0).keep_alive);
}

TEST(ServerCodec, StopsAfterARequestThatClosesTheConnection) {
  auto r =
      run("GET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
          "GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(r.requests.size(), 1u);
  EXPECT_TRUE(r.closed);
  EXPECT_FALSE(r.error);
  auto ten = run("GET /a HTTP/1.0\r\n\r\nGET /b HTTP/1.0\r\n\r\n");
  EXPECT_EQ(ten.requests.size(), 1u);
  EXPECT_TRUE(ten.closed);
}

TEST(ServerCodec, IgnoresUpgradeAndKeepsParsing) {
  auto r =
      run("GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
          "GET /next HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_FALSE(r.error) << r.error_reason;
  ASSERT_EQ(r.requests.size(), 2u);
  EXPECT_EQ(r.requests[1].path, "/next");
}

TEST(ServerCodec, AsksForContinueBeforeTheBody) {
  server_codec codec;
  codec.feed("PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  ASSERT_EQ(codec.next(), codec_event::expect_continue);
  EXPECT_EQ(codec.request().path(), "/f");
  EXPECT_TRUE(codec.request().expects_continue());
  EXPECT_EQ(codec.next(), codec_event::need_input);  // reported once
  codec.feed("da");
  EXPECT_EQ(codec.next(), codec_event::need_input);
  codec.feed("ta");
  ASSERT_EQ(codec.next(), codec_event::request);
  EXPECT_EQ(codec.request().body(), "data");
}

TEST(ServerCodec, SkipsContinueWhenItIsNotNeeded) {
  // The body already arrived; no body at all; HTTP/1.0 (RFC 9110 section 10.1.1).
  EXPECT_EQ(run("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx")
                .continues,
            0);
  EXPECT_EQ(run("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n")
                .continues,
            0);
  EXPECT_EQ(run("PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n").continues,
            0);
  auto chunked = run(
      "PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(chunked.continues, 1);
}

TEST(ServerCodec, EndOfInputBetweenRequestsCloses) {
  auto r = run("GET / HTTP/1.1\r\nHost: h\r\n\r\n", /*eof=*/true);
  EXPECT_EQ(r.requests.size(), 1u);
  EXPECT_TRUE(r.closed);
  EXPECT_FALSE(r.error);
}

TEST(ServerCodec, EndOfInputInsideARequestIs400) {
  auto r = run("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc", /*eof=*/true);
  EXPECT_TRUE(r.error);
  EXPECT_EQ(r.error_status, status::bad_request);
}

TEST(ServerCodec, IdleOnlyBetweenRequests) {
  server_codec codec;
  EXPECT_TRUE(codec.idle());
  codec.feed("GET / HT");
  EXPECT_EQ(codec.next(), codec_event::need_input);
  EXPECT_FALSE(codec.idle());
  codec.feed("TP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(codec.next(), codec_event::request);
  EXPECT_EQ(codec.next(), codec_event::need_input);
  EXPECT_TRUE(codec.idle());
}

TEST(ServerCodec, ReusesItsBufferInSteadyState) {
  // Non-pipelined traffic never moves bytes: each prepare() after a drained
  // request starts again at the front of the same buffer.
  server_codec codec;
  const char* first = nullptr;
  for (int i = 0; i < 1000; ++i) {
    std::string_view req = "GET /x HTTP/1.1\r\nHost: h\r\n\r\n";
    auto space = codec.prepare();
    if (first == nullptr) first = space.data();
    ASSERT_EQ(space.data(), first);
    std::copy(req.begin(), req.end(), space.begin());
    codec.commit(req.size());
    ASSERT_EQ(codec.next(), codec_event::request);
    ASSERT_EQ(codec.request().path(), "/x");
    ASSERT_EQ(codec.request().method_name().data(), first);  // a view, not a copy
    ASSERT_EQ(codec.next(), codec_event::need_input);
  }
}

}  // namespace
}  // namespace eddy::net::http
