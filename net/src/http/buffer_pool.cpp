// buffer_pool.cpp: the per-thread block cache: one small stack per size class
// (16, 32, 64 and 128 KiB; an output buffer that grows while a response streams
// doubles through them), each bounded so an idle thread keeps little.
#include "net/src/http/buffer_pool.hpp"

#include <array>

namespace eddy::net::http::detail {
namespace {

// Blocks kept per class: many of the common 16 KiB one, a few of the larger.
constexpr std::array<std::size_t, pooled_classes> class_capacity{max_cached_blocks, 4, 2, 2};

struct block_cache {
  std::array<std::array<char*, max_cached_blocks>, pooled_classes> blocks{};
  std::array<std::size_t, pooled_classes> count{};
  ~block_cache() {
    for (std::size_t k = 0; k < pooled_classes; ++k)
      while (count[k] > 0) delete[] blocks[k][--count[k]];
  }
};

// Called from plain functions only (never across a coroutine's suspension), so
// the thread_local is always this thread's.
block_cache& cache() noexcept {
  thread_local block_cache c;
  return c;
}

/// The class of a block of `size` bytes, or pooled_classes if it has none.
constexpr std::size_t class_of(std::size_t size) noexcept {
  for (std::size_t k = 0; k < pooled_classes; ++k)
    if (size == pooled_block_size << k) return k;
  return pooled_classes;
}

}  // namespace

std::unique_ptr<char[]> take_block(std::size_t size) {
  if (const std::size_t k = class_of(size); k < pooled_classes) {
    auto& c = cache();
    if (c.count[k] > 0) return std::unique_ptr<char[]>(c.blocks[k][--c.count[k]]);
  }
  return std::make_unique_for_overwrite<char[]>(size);
}

void give_back(std::unique_ptr<char[]>& block, std::size_t size) noexcept {
  if (!block) return;
  if (const std::size_t k = class_of(size); k < pooled_classes) {
    auto& c = cache();
    if (c.count[k] < class_capacity[k]) {
      c.blocks[k][c.count[k]++] = block.release();
      return;
    }
  }
  block.reset();
}

}  // namespace eddy::net::http::detail
