// eddy_bench: the runtime micro benchmarks with the peers' command line, so the
// scripts of ../shared/peers/runtime time, callgrind and strace it the same way:
//   eddy_bench ct|mt|mtw BENCH [N]  prints "iters=N ns_per_op=X ..."
// ct: current-thread executor; mt: multi-thread runtime with 2 workers and the
// reactor thread (the default); mtw: the same with reactor_mode::idle_worker.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "workloads.hpp"

namespace {

struct entry {
  const char* name;
  std::uint64_t default_n;
  eddy::task<std::int64_t> (*fn)(std::uint64_t);
};

constexpr entry benches[] = {
    {"spawn_join", 1'000'000, &eddy::bench::spawn_join},
    {"yield", 10'000'000, &eddy::bench::yield},
    {"ping_pong", 1'000'000, &eddy::bench::ping_pong},
    {"timer", 1'000'000, &eddy::bench::timer},
    {"many_sleepers", 1'000'000, &eddy::bench::many_sleepers},
    {"cross_thread_wake", 100'000, &eddy::bench::cross_thread_wake},
};

int usage() {
  std::fprintf(stderr, "usage: eddy_bench ct|mt|mtw BENCH [N]\n  BENCH:");
  for (const auto& b : benches) std::fprintf(stderr, " %s", b.name);
  std::fprintf(stderr, "\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage();
  const std::string_view flavor = argv[1];
  if (flavor != "ct" && flavor != "mt" && flavor != "mtw") return usage();
  for (const auto& b : benches) {
    if (std::string_view(argv[2]) != b.name) continue;
    std::uint64_t n = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : b.default_n;
    if (n == 0) return usage();
    std::int64_t ns = flavor == "ct"    ? eddy::bench::run_current_thread(b.fn, n)
                      : flavor == "mtw" ? eddy::bench::run_multi_thread(
                                              b.fn, n, 2, eddy::reactor_mode::idle_worker)
                                        : eddy::bench::run_multi_thread(b.fn, n);
    std::printf("iters=%llu ns_per_op=%.2f %s\n", static_cast<unsigned long long>(n),
                static_cast<double>(ns) / static_cast<double>(n), eddy::bench::extra.c_str());
    return 0;
  }
  return usage();
}
