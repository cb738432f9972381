// The README's example, built by the install test against the installed package:
// it must compile, link and print the documented values (86, twice).
#include <cstdio>
#include <eddy/runtime.hpp>

eddy::task<int> square(int x) {
  co_await eddy::yield_now();  // let other tasks run
  int squared = x * x;
  co_return squared;
}

eddy::task<int> run() {
  auto a = eddy::spawn(square(3));  // runs concurrently
  auto b = eddy::spawn(square(4));
  int sum = co_await a + co_await b;
  auto [c, d] = co_await eddy::join(square(5), square(6));
  co_return sum + c + d;
}

int main() {
  int v = eddy::block_on(run());  // a current-thread executor
  std::printf("%d\n", v);         // 86

  // Or a runtime with worker threads (work stealing, a reactor thread):
  auto rt = eddy::runtime::new_multi_thread().worker_threads(4).build();
  int w = rt.block_on(rt.spawn(run()));
  std::printf("%d\n", w);
  return v == 86 && w == 86 ? 0 : 1;
}
