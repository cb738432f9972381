// buffer_pool.cpp: the per-thread block cache, a plain array used as a stack.
#include "net/src/http/buffer_pool.hpp"

namespace eddy::net::http::detail {
namespace {

struct block_cache {
  char* blocks[max_cached_blocks];
  std::size_t count = 0;
  ~block_cache() {
    while (count > 0) delete[] blocks[--count];
  }
};

// Called from plain functions only (never across a coroutine's suspension), so
// the thread_local is always this thread's.
block_cache& cache() noexcept {
  thread_local block_cache c;
  return c;
}

}  // namespace

std::unique_ptr<char[]> take_block(std::size_t size) {
  if (size == pooled_block_size) {
    auto& c = cache();
    if (c.count > 0) return std::unique_ptr<char[]>(c.blocks[--c.count]);
  }
  return std::make_unique_for_overwrite<char[]>(size);
}

void give_back(std::unique_ptr<char[]>& block, std::size_t size) noexcept {
  if (!block) return;
  if (size == pooled_block_size) {
    auto& c = cache();
    if (c.count < max_cached_blocks) {
      c.blocks[c.count++] = block.release();
      return;
    }
  }
  block.reset();
}

}  // namespace eddy::net::http::detail
