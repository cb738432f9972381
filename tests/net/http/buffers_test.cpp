// buffers_test.cpp: the per-connection buffers that recycle their storage (issue 6):
// header_text (inline, then heap) and output_buffer's arena (a cached block,
// given back when the buffer drains).
#include <gtest/gtest.h>
#include <sys/uio.h>

#include <string>
#include <utility>

#include <eddy/net/http/output_buffer.hpp>
#include <eddy/net/http/response.hpp>
#include <eddy/net/http/server_codec.hpp>

namespace {

using namespace eddy::net::http;

TEST(HeaderText, SpillsPastTheInlineCapacityIntact) {
  response r;
  std::string expect;
  for (int i = 0; i < 10; ++i) {
    const std::string name = "X-Field-" + std::to_string(i);
    const std::string value(20, static_cast<char>('a' + i));
    ASSERT_TRUE(r.add_header(name, value));
    expect += name + ": " + value + "\r\n";
    EXPECT_EQ(r.header_block(), expect);  // on both sides of the inline capacity
  }
  EXPECT_GT(expect.size(), header_text::inline_capacity);
  EXPECT_EQ(r.header("x-field-9"), std::string(20, 'j'));
  response moved = std::move(r);
  EXPECT_EQ(moved.header_block(), expect);

  response small;
  small.add_header("Content-Type", "text/plain");
  response copy = std::move(small);
  EXPECT_EQ(copy.header_block(), "Content-Type: text/plain\r\n");
}

// Pieces of every length the inline copies handle differently (0-3, 4-7, 8-15,
// 16-32, longer), through append() and append_field(), up to and past the
// inline capacity, byte-exact, and after a move.
TEST(HeaderText, PiecesOfEveryShortLengthStayByteExact) {
  for (std::size_t len = 0; len <= 50; ++len) {
    for (std::size_t before = 0; before <= 12; before += 3) {
      header_text t;
      std::string expect;
      const std::string lead(before, 'L');
      t.append(lead);
      expect += lead;
      const std::string piece(len, static_cast<char>('a' + len % 26));
      t.append_field(std::string_view(piece).substr(0, len / 2), piece);
      expect += piece.substr(0, len / 2) + ": " + piece + "\r\n";
      t.append(piece);
      expect += piece;
      EXPECT_EQ(t.view(), expect) << len << " " << before;
      header_text moved = std::move(t);
      EXPECT_EQ(moved.view(), expect) << len << " " << before;
    }
  }
}

TEST(OutputBuffer, ArenaGrowsPastABlockAndIsReusedAfterDraining) {
  output_buffer out;
  std::string expect;
  // 40 KiB of small copies: the arena outgrows its 16 KiB block twice, and
  // segments (offsets, invariant 1) survive the moves.
  for (int i = 0; i < 4000; ++i) {
    const std::string piece = std::to_string(i) + "-0123456\n";
    out.append(piece);
    expect += piece;
    if (i % 1000 == 0) {
      out.append_borrowed("<borrowed>");
      expect += "<borrowed>";
    }
  }
  EXPECT_EQ(out.to_string(), expect);
  EXPECT_EQ(out.size(), expect.size());
  out.consume(out.size());
  EXPECT_TRUE(out.empty());
  out.append("after");
  out.append(" drain");
  EXPECT_EQ(out.to_string(), "after drain");
  ::iovec iov[4];
  EXPECT_EQ(out.gather(iov, 4), 1u);  // consecutive copies share one segment

  output_buffer moved = std::move(out);
  moved.append("!");
  EXPECT_EQ(moved.to_string(), "after drain!");
}

TEST(CodecRelease, KeepsAPartialRequestAndParksBetweenRequests) {
  server_codec codec;
  codec.feed("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HT");
  ASSERT_EQ(codec.next(), codec_event::request);
  EXPECT_EQ(codec.request().path(), "/a");
  ASSERT_EQ(codec.next(), codec_event::need_input);
  EXPECT_FALSE(codec.release_buffer());  // "GET /b HT" must stay
  codec.feed("TP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(codec.next(), codec_event::request);
  EXPECT_EQ(codec.request().path(), "/b");
  ASSERT_EQ(codec.next(), codec_event::need_input);
  EXPECT_TRUE(codec.release_buffer());  // idle: buffer and parser state parked
  EXPECT_TRUE(codec.idle());
  EXPECT_EQ(codec.requests_completed(), 2u);
  codec.feed("GET /c HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(codec.next(), codec_event::request);
  EXPECT_EQ(codec.request().path(), "/c");
  EXPECT_EQ(codec.requests_completed(), 3u);
  ASSERT_EQ(codec.next(), codec_event::need_input);
  EXPECT_TRUE(codec.release_buffer());
  codec.finish();  // the peer closes while the codec is parked
  EXPECT_EQ(codec.next(), codec_event::closed);
}

TEST(CodecRelease, ParkedStateIsCleanForTheNextCodec) {
  {
    server_codec bad;  // leaves a parked impl behind only if it was clean
    bad.feed("GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    ASSERT_EQ(bad.next(), codec_event::request);
    EXPECT_EQ(bad.next(), codec_event::closed);
    bad.release_buffer();
  }
  server_codec a;
  a.feed("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
  ASSERT_EQ(a.next(), codec_event::request);
  ASSERT_EQ(a.next(), codec_event::need_input);
  ASSERT_TRUE(a.release_buffer());
  server_codec b;  // may take a's parked state
  b.feed("GET /q?z=1 HTTP/1.1\r\nHost: y\r\n\r\n");
  ASSERT_EQ(b.next(), codec_event::request);
  EXPECT_EQ(b.request().path(), "/q");
  EXPECT_EQ(b.request().query(), "z=1");
  EXPECT_EQ(b.request().body(), "");
  EXPECT_EQ(b.request().headers().size(), 1u);
  EXPECT_EQ(b.requests_completed(), 1u);
  EXPECT_EQ(a.requests_completed(), 1u);
  // That GET took the simple-head path; the parser, untouched since b took the
  // parked state (it is initialised on first use), parses b's next request.
  b.feed("POST /c HTTP/1.1\r\nHost: y\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n");
  ASSERT_EQ(b.next(), codec_event::request);
  EXPECT_EQ(b.request().path(), "/c");
  EXPECT_EQ(b.request().body(), "hi");
  EXPECT_EQ(b.requests_completed(), 2u);
}

}  // namespace
