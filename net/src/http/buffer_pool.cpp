// buffer_pool.cpp: the per-thread block cache: one small stack per size class
// (16, 32, 64 and 128 KiB; an output buffer that grows while a response streams
// doubles through them), each bounded so an idle thread keeps little.
#include "net/src/http/buffer_pool.hpp"
#include "net/src/http/thread_exit_hook.hpp"

#include <array>

namespace eddy::net::http::detail {
namespace {

// Blocks kept per class: many of the common 16 KiB one, a few of the larger.
constexpr std::array<std::size_t, pooled_classes> class_capacity{max_cached_blocks, 4, 2, 2};

// Trivially destructible and constant-initialised, with the initial-exec TLS
// model (the library is position-independent: the default model would make
// every access a call to __tls_get_addr, and a destructor a guard per access).
// The blocks go back to the heap at thread exit, from a hook armed when the
// thread first keeps a block; a block given back after that goes to the heap.
struct block_cache {
  std::array<std::array<char*, max_cached_blocks>, pooled_classes> blocks;
  std::array<std::size_t, pooled_classes> count;
  bool hooked;  // the exit hook is armed
  bool dead;    // the exit hook ran
};

[[gnu::tls_model("initial-exec")]] constinit thread_local block_cache tls_cache{};

struct exit_hook {
  ~exit_hook() {
    auto& c = tls_cache;
    for (std::size_t k = 0; k < pooled_classes; ++k)
      while (c.count[k] > 0) delete[] c.blocks[k][--c.count[k]];
    c.hooked = false;
    c.dead = true;
  }
};

bool arm_exit_hook() noexcept {
  arm_thread_exit_hook<exit_hook>();
  tls_cache.hooked = true;
  return true;
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
    auto& c = tls_cache;
    if (c.count[k] > 0) return std::unique_ptr<char[]>(c.blocks[k][--c.count[k]]);
  }
  return std::make_unique_for_overwrite<char[]>(size);
}

void give_back(std::unique_ptr<char[]>& block, std::size_t size) noexcept {
  if (!block) return;
  if (const std::size_t k = class_of(size); k < pooled_classes) {
    auto& c = tls_cache;
    if (c.count[k] < class_capacity[k] && (c.hooked || (!c.dead && arm_exit_hook()))) {
      c.blocks[k][c.count[k]++] = block.release();
      return;
    }
  }
  block.reset();
}

}  // namespace eddy::net::http::detail
