#include <eddy/runtime.hpp>

eddy::task<int> child(int v) { co_return v * 2; }

eddy::task<int> run() {
  auto h = eddy::spawn(child(20));
  int a = co_await h;
  int b = co_await child(1);
  co_return a + b;
}

int main() { return eddy::block_on(run()) == 42 ? 0 : 1; }
