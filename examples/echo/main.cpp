// echo: a TCP echo server, one task per connection.
//
//   echo [--host 127.0.0.1] [--port 7000]
//
// Try it: `echo --port 7000 &` then `nc 127.0.0.1 7000`.
#include <array>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include <eddy/executor.hpp>
#include <eddy/net/address.hpp>
#include <eddy/net/tcp_listener.hpp>
#include <eddy/net/tcp_stream.hpp>
#include <eddy/task.hpp>

namespace {

eddy::task<void> serve(eddy::net::tcp_stream stream) {
  std::array<std::byte, 16 * 1024> buf;
  for (;;) {
    auto n = co_await stream.read(buf);
    if (!n || *n == 0) co_return;  // error or end of stream: drop the connection
    auto w = co_await stream.write_all(std::span(buf).first(*n));
    if (!w) co_return;
  }
}

eddy::task<int> run(eddy::net::address at) {
  auto listener = eddy::net::tcp_listener::bind(at);
  if (!listener) {
    std::fprintf(stderr, "echo: bind %s: %s\n", at.to_string().c_str(),
                 listener.error().message().c_str());
    co_return 1;
  }
  auto local = listener->local_address();
  std::printf("echo: listening on %s\n", local ? local->to_string().c_str() : "?");
  std::fflush(stdout);
  for (;;) {
    auto stream = co_await listener->accept();
    if (!stream) {
      std::fprintf(stderr, "echo: accept: %s\n", stream.error().message().c_str());
      continue;
    }
    (void)stream->set_nodelay(true);
    eddy::spawn(serve(std::move(*stream))).detach();
  }
}

[[noreturn]] void usage() {
  std::fprintf(stderr, "usage: echo [--host IP] [--port N]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  unsigned long port = 7000;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) usage();
    if (arg == "--host") {
      host = argv[++i];
    } else if (arg == "--port") {
      char* end = nullptr;
      port = std::strtoul(argv[++i], &end, 10);
      if (*end != '\0' || port > 65535) usage();
    } else {
      usage();
    }
  }
  auto at = eddy::net::address::parse_ip(host, static_cast<std::uint16_t>(port));
  if (!at) usage();

  // The default driver is the timer wheel over the epoll reactor.
  return eddy::block_on(run(*at));
}
