// runtime_bench: Google Benchmark front end of the runtime workloads, for quick
// iteration (`./runtime_bench --benchmark_filter=yield`). Comparisons with the
// peers use eddy_bench and bench/run-runtime.sh instead.
#include <benchmark/benchmark.h>

#include "workloads.hpp"

namespace {

template <auto Workload>
void run(benchmark::State& state) {
  const auto n = static_cast<std::uint64_t>(state.range(0));
  for (auto _ : state) {
    std::int64_t ns = eddy::bench::run_current_thread(Workload, n);
    state.SetIterationTime(static_cast<double>(ns) * 1e-9);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["ns_per_op"] =
      benchmark::Counter(static_cast<double>(state.iterations() * state.range(0)),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["ns_per_op"] = state.counters["ns_per_op"].value * 1e9;
}

}  // namespace

BENCHMARK(run<&eddy::bench::spawn_join>)->Name("spawn_join")->Arg(100'000)->UseManualTime();
BENCHMARK(run<&eddy::bench::yield>)->Name("yield")->Arg(1'000'000)->UseManualTime();

BENCHMARK_MAIN();
