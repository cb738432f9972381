// serializer_test.cpp: byte-exact responses, the output buffer's segments and the
// Date cache.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include <eddy/net/http/date_cache.hpp>
#include <eddy/net/http/serializer.hpp>

namespace eddy::net::http {
namespace {

constexpr std::string_view date = "Sun, 06 Nov 1994 08:49:37 GMT";

std::string serialize(response r, response_context ctx = {.date = date}) {
  output_buffer out;
  (void)write_response(out, std::move(r), ctx);
  return out.to_string();
}

TEST(Serializer, WritesATextResponseByteExact) {
  auto r = response::with_body(status::ok, "Hello, World!", "text/plain");
  EXPECT_EQ(serialize(std::move(r)),
            "HTTP/1.1 200 OK\r\n"
            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Content-Type: text/plain\r\n"
            "Content-Length: 13\r\n"
            "\r\n"
            "Hello, World!");
}

TEST(Serializer, EmptyBodyStillHasContentLength) {
  EXPECT_EQ(serialize(response(status::not_found)),
            "HTTP/1.1 404 Not Found\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Content-Length: 0\r\n\r\n");
}

TEST(Serializer, HeadKeepsTheFramingButNotTheBody) {
  auto r = response::with_body(status::ok, "{\"message\":\"Hello, World!\"}", "application/json");
  EXPECT_EQ(serialize(std::move(r), {.date = date, .head = true}),
            "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Content-Type: application/json\r\nContent-Length: 27\r\n\r\n");
}

TEST(Serializer, ConnectionFieldFollowsTheKeepAliveDecision) {
  output_buffer out;
  auto w = write_response(out, response(status::ok), {.date = date, .keep_alive = false});
  EXPECT_FALSE(w.keep_alive);
  EXPECT_EQ(out.to_string(),
            "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Content-Length: 0\r\nConnection: close\r\n\r\n");
  // HTTP/1.0 keep-alive must be confirmed explicitly.
  EXPECT_EQ(serialize(response(status::ok), {.date = date, .http_minor = 0}),
            "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Content-Length: 0\r\nConnection: keep-alive\r\n\r\n");
  response closing(status::ok);
  closing.set_close();
  output_buffer out2;
  EXPECT_FALSE(write_response(out2, std::move(closing), {.date = date}).keep_alive);
}

TEST(Serializer, ErrorResponsesCloseTheConnection) {
  output_buffer out;
  write_error(out, status::request_header_fields_too_large, date);
  EXPECT_EQ(out.to_string(),
            "HTTP/1.1 431 Request Header Fields Too Large\r\n"
            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 36\r\n"
            "Connection: close\r\n\r\n"
            "431 Request Header Fields Too Large\n");
}

TEST(Serializer, MethodNotAllowedCarriesAllow) {
  EXPECT_EQ(serialize(response::method_not_allowed("GET, HEAD")),
            "HTTP/1.1 405 Method Not Allowed\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Allow: GET, HEAD\r\nContent-Length: 0\r\n\r\n");
  // Even when the handler forgot it (an empty Allow: nothing is allowed).
  EXPECT_EQ(serialize(response(status::method_not_allowed)),
            "HTTP/1.1 405 Method Not Allowed\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Allow: \r\nContent-Length: 0\r\n\r\n");
  output_buffer out;
  write_error(out, status::method_not_allowed, date, "POST");
  EXPECT_NE(out.to_string().find("\r\nAllow: POST\r\n"), std::string::npos);
}

TEST(Serializer, NoContentStatusesHaveNoFraming) {
  EXPECT_EQ(serialize(response(status::no_content)),
            "HTTP/1.1 204 No Content\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n");
  output_buffer out;
  write_continue(out);
  EXPECT_EQ(out.to_string(), "HTTP/1.1 100 Continue\r\n\r\n");
}

TEST(Serializer, StreamsChunkedBodies) {
  output_buffer out;
  response r(status::ok);
  r.set_chunked();
  auto w = write_response(out, std::move(r), {.date = date});
  ASSERT_EQ(w.framing, body_framing::chunked);
  write_chunk(out, "Wiki", w.framing);
  write_chunk(out, "", w.framing);  // would end the stream: ignored
  write_chunk(out, std::string(300, 'x'), w.framing);
  write_last_chunk(out, w.framing);
  EXPECT_EQ(out.to_string(),
            "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"
            "4\r\nWiki\r\n12c\r\n" +
                std::string(300, 'x') + "\r\n0\r\n\r\n");
}

TEST(Serializer, Http10ClientsGetCloseDelimitedStreams) {
  output_buffer out;
  response r(status::ok);
  r.set_chunked();
  auto w = write_response(out, std::move(r), {.date = date, .keep_alive = true, .http_minor = 0});
  EXPECT_EQ(w.framing, body_framing::close_delimited);
  EXPECT_FALSE(w.keep_alive);
  write_chunk(out, "raw", w.framing);
  write_last_chunk(out, w.framing);
  EXPECT_EQ(out.to_string(),
            "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Connection: close\r\n\r\nraw");
}

TEST(Serializer, RefusesFramingAndSplittingFields) {
  response r(status::ok);
  EXPECT_FALSE(r.add_header("Content-Length", "5"));
  EXPECT_FALSE(r.add_header("transfer-encoding", "chunked"));
  EXPECT_FALSE(r.add_header("Date", "x"));
  EXPECT_FALSE(r.add_header("Connection", "close"));
  EXPECT_FALSE(r.add_header("X-Evil", "a\r\nSet-Cookie: x"));
  EXPECT_FALSE(r.add_header("Bad Name", "v"));
  EXPECT_FALSE(r.add_header("", "v"));
  EXPECT_TRUE(r.add_header("X-Ok", "v"));
  EXPECT_EQ(r.header("x-ok"), "v");
  EXPECT_EQ(r.header_block(), "X-Ok: v\r\n");
}

// The value check reads eight or sixteen bytes at a time: CR, LF and NUL are
// refused at every position of a word and of the tail, in values of every length
// up to 40 (two whole blocks of sixteen and a tail).
TEST(Serializer, FieldValueCheckFindsCrLfAndNulAnywhere) {
  for (std::size_t len = 0; len <= 40; ++len) {
    const std::string clean(len, 'v');
    EXPECT_TRUE(is_field_value(clean)) << len;
    for (std::size_t at = 0; at < len; ++at) {
      for (char bad : {'\r', '\n', '\0'}) {
        std::string v = clean;
        v[at] = bad;
        EXPECT_FALSE(is_field_value(v)) << len << " " << at << " " << int(bad);
      }
    }
  }
  // Bytes next to the refused ones, tabs and obs-text pass.
  EXPECT_TRUE(is_field_value("\t\x0b\x0c\x0e\x01\x80\xff\x8d\x8a~ x"));
  EXPECT_TRUE(is_field_value(std::string(40, '\xff')));
}

TEST(Serializer, CompileTimeFieldNamesCheckOnlyTheValue) {
  static_assert(is_token("X-Request-Id") && !is_token("Bad Name") && !is_token(""));
  static_assert(is_serializer_field("CONTENT-LENGTH") && is_serializer_field("date") &&
                !is_serializer_field("Content-Type"));
  static_assert(field::content_type.view() == "Content-Type");
  constexpr field_name x_trace{"X-Trace"};
  response r(status::ok);
  EXPECT_TRUE(r.add_header(field::content_type, "text/plain"));
  EXPECT_TRUE(r.add_header(x_trace, ""));
  EXPECT_FALSE(r.add_header(field::location, "/a\r\nSet-Cookie: x"));
  EXPECT_FALSE(r.add_header(field::set_cookie, std::string_view("a\0b", 3)));
  EXPECT_EQ(r.header_block(), "Content-Type: text/plain\r\nX-Trace: \r\n");
}

// Every length of field block, reason phrase and body the head's short copies
// handle differently (0-3, 4-7, 8-15, 16-32, longer), owned and borrowed bodies on
// both sides of the in-head limit, and a Date of another size, byte-exact.
TEST(Serializer, HeadsAndBodiesOfEveryShortLengthAreByteExact) {
  const std::string text(600, 'b');
  for (std::size_t body_len : {0, 1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 100, 511, 512, 513, 600}) {
    for (std::size_t value_len = 0; value_len <= 40; ++value_len) {
      for (bool borrowed : {false, true}) {
        const status sts[] = {status::ok, status::created, status::unprocessable_content,
                              status::not_found};
        const status st = sts[value_len % 4];
        const std::string_view d = value_len == 7 ? std::string_view("short date") : date;
        const std::string value(value_len, static_cast<char>('a' + value_len % 26));
        const std::string_view body = std::string_view(text).substr(0, body_len);
        response r(st);
        r.add_header("X", value);
        if (borrowed) {
          r.set_borrowed_body(body);
        } else {
          r.set_body(std::string(body));
        }
        std::string expect = "HTTP/1.1 " + std::to_string(static_cast<int>(st)) + " " +
                             std::string(reason_phrase(st)) + "\r\nDate: " + std::string(d) +
                             "\r\nX: " + value + "\r\nContent-Length: " + std::to_string(body_len) +
                             "\r\n\r\n" + std::string(body);
        EXPECT_EQ(serialize(std::move(r), {.date = d}), expect)
            << body_len << " " << value_len << " " << borrowed;
      }
    }
  }
}

TEST(Serializer, PipelinedSmallResponsesGatherIntoOneIovec) {
  output_buffer out;
  for (int i = 0; i < 100; ++i) {
    (void)write_response(out, response::with_body(status::ok, "Hello, World!", "text/plain"),
                         {.date = date});
  }
  iovec iov[8];
  ASSERT_EQ(out.gather(iov, 8), 1u);
  EXPECT_EQ(iov[0].iov_len, out.size());
  out.consume(9);
  ASSERT_EQ(out.gather(iov, 8), 1u);
  EXPECT_EQ(std::string_view(static_cast<char*>(iov[0].iov_base), 5), "200 O");
  out.consume(out.size());
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(out.gather(iov, 8), 0u);
}

TEST(Serializer, HeadsFormattedInPlaceSurviveArenaGrowthAndReferencedBodies) {
  // Heads are formatted in place (output_buffer::prepare): check them byte-exact
  // when a head starts after a referenced body (no open arena segment), when it
  // does not fit the rest of the block (the arena moves), and when its field
  // block alone is larger than a pooled block.
  output_buffer out;
  std::string expect;
  static const std::string borrowed(9 * 1024, 'c');
  for (int i = 0; i < 300; ++i) {
    response r(i % 7 == 0 ? status::not_found : status::ok);
    const std::string value(i == 150 ? 20000 : 40 + i % 13, static_cast<char>('a' + i % 26));
    r.add_header("X-Field", value);
    std::string head = i % 7 == 0 ? "HTTP/1.1 404 Not Found\r\n" : "HTTP/1.1 200 OK\r\n";
    head += "Date: " + std::string(date) + "\r\nX-Field: " + value + "\r\n";
    if (i % 3 == 0) {
      r.set_borrowed_body(borrowed);
      head += "Content-Length: 9216\r\n";
    } else {
      head += "Content-Length: 0\r\n";
    }
    const bool keep_alive = i % 5 != 0;
    if (!keep_alive) head += "Connection: close\r\n";
    expect += head + "\r\n";
    if (i % 3 == 0) expect += borrowed;
    (void)write_response(out, std::move(r), {.date = date, .keep_alive = keep_alive});
  }
  EXPECT_EQ(out.size(), expect.size());
  EXPECT_EQ(out.to_string(), expect);
}

TEST(Serializer, LargeBodiesAreReferencedNotCopied) {
  output_buffer out;
  std::string big(100 * 1024, 'b');
  const char* data = big.data();
  (void)write_response(out, response::with_body(status::ok, std::move(big), "x/y"), {.date = date});
  static const std::string borrowed(50 * 1024, 'c');
  response r(status::ok);
  r.set_borrowed_body(borrowed);
  (void)write_response(out, std::move(r), {.date = date});
  iovec iov[8];
  ASSERT_EQ(out.gather(iov, 8), 4u);  // head, owned body, head, borrowed body
  EXPECT_EQ(iov[1].iov_base, data);
  EXPECT_EQ(iov[3].iov_base, borrowed.data());
  // Partial writes in the middle of a segment.
  std::uint64_t total = out.size();
  std::size_t head = iov[0].iov_len;
  out.consume(head + 7);
  EXPECT_EQ(out.size(), total - head - 7);
  ASSERT_EQ(out.gather(iov, 8), 3u);
  EXPECT_EQ(iov[0].iov_base, data + 7);
}

TEST(Serializer, FileBodiesBecomeFileSegments) {
  char path[] = "/tmp/eddy_http_file_XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::unlink(path);
  ASSERT_EQ(::write(fd, "0123456789", 10), 10);
  output_buffer out;
  response r(status::ok);
  r.set_file_body(file_handle(fd), 2, 5);
  (void)write_response(out, std::move(r), {.date = date});
  (void)write_response(out, response(status::ok), {.date = date});
  iovec iov[8];
  ASSERT_EQ(out.gather(iov, 8), 1u);  // stops at the file
  std::string head(static_cast<char*>(iov[0].iov_base), iov[0].iov_len);
  EXPECT_NE(head.find("Content-Length: 5\r\n"), std::string::npos);
  out.consume(head.size());
  auto file = out.front_file();
  ASSERT_TRUE(file);
  EXPECT_EQ(file->fd, fd);
  EXPECT_EQ(file->offset, 2u);
  EXPECT_EQ(file->length, 5u);
  EXPECT_EQ(out.to_string().substr(0, 5), "23456");
  out.consume(3);
  EXPECT_EQ(out.front_file()->offset, 5u);
  out.consume(2);
  EXPECT_FALSE(out.front_file());
  ASSERT_EQ(out.gather(iov, 8), 1u);
  out.consume(out.size());
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);  // closed once sent
}

TEST(DateCache, FormatsImfFixdate) {
  char text[29];
  format_http_date(784111777, text);
  EXPECT_EQ(std::string_view(text, 29), "Sun, 06 Nov 1994 08:49:37 GMT");
  format_http_date(951782400, text);  // a leap day
  EXPECT_EQ(std::string_view(text, 29), "Tue, 29 Feb 2000 00:00:00 GMT");
}

TEST(DateCache, FormatsAtMostOncePerSecond) {
  using namespace std::chrono;
  date_cache cache;
  system_clock::time_point t{seconds(784111777)};
  EXPECT_EQ(cache.get(t), "Sun, 06 Nov 1994 08:49:37 GMT");
  for (int ms = 0; ms < 1000; ms += 10) cache.get(t + milliseconds(ms));
  EXPECT_EQ(cache.formats(), 1u);
  EXPECT_EQ(cache.get(t + seconds(1)), "Sun, 06 Nov 1994 08:49:38 GMT");
  EXPECT_EQ(cache.formats(), 2u);
  cache.get(t + milliseconds(1999));
  EXPECT_EQ(cache.formats(), 2u);
}

}  // namespace
}  // namespace eddy::net::http
