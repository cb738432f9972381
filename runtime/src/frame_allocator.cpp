#include <eddy/detail/frame_allocator.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <new>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define EDDY_POOL_DISABLED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EDDY_POOL_DISABLED 1
#endif
#endif

namespace eddy::detail {

#ifdef EDDY_POOL_DISABLED

void* frame_alloc(std::size_t size) { return ::operator new(size); }
void frame_free(void* p, std::size_t) noexcept { ::operator delete(p); }
void* cell_alloc(std::size_t size) { return ::operator new(size); }
void cell_free(void* p, std::size_t) noexcept { ::operator delete(p); }

#else

// How the pool works:
//   - Blocks of up to max_pooled bytes come in 8-byte size classes and are carved
//     out of 64 KiB chunks, so a block costs its size and nothing more (malloc
//     would add a header and round up: a 120-byte cell took 144 bytes).
//   - Coroutine frames need 16-byte alignment: frame_alloc rounds up to a multiple
//     of 16, and every carve is a multiple of 16, so those classes' blocks are
//     16-byte aligned. A class of an odd multiple of 8 (only cell_alloc asks for
//     one) is carved two blocks at a time and its blocks are only 8-byte aligned;
//     no frame ever uses such a class.
//   - Each thread keeps a free list per class. A block freed on another thread than
//     the one that carved it joins that thread's list. A list holds at most
//     list_bounds[c] blocks (about 64 KiB): past that, the whole list moves to
//     the global depot as one batch, which threads refill from before carving. So when one
//     thread allocates and another frees (a multi-thread runtime spawning on one
//     worker and completing on another), the blocks flow back instead of the
//     first thread carving new chunks forever.
//   - Carved blocks are never given back to malloc: the pool keeps the peak of the
//     blocks live at once (like a malloc arena that cannot trim a fragmented heap).
//   - At thread exit the thread's free lists and the rest of its chunk go to a
//     global depot, which threads refill from before carving more, so threads that
//     come and go (runtimes created in turn) do not leak.
//   - The per-thread state is trivially destructible and constant-initialised: the
//     fast path is a TLS access and a list pop or push, with no guard call. Blocks
//     freed after the thread's exit hook ran go straight to the depot.

namespace {

inline constexpr std::size_t granule = 8;
inline constexpr std::size_t frame_granule = 16;  // every carve is a multiple of this
inline constexpr std::size_t max_pooled = 1024;
inline constexpr std::size_t classes = max_pooled / granule;
inline constexpr std::size_t chunk_bytes = 64 * 1024;

struct free_block {
  free_block* next;
};

struct pool {
  free_block* heads[classes];
  std::uint32_t counts[classes];  // blocks in heads[c]
  char* carve_next;               // the unused rest of the current chunk
  char* carve_end;
  bool hooked;  // the thread-exit hook is armed
  bool dead;    // the thread-exit hook ran: use the depot
};

// initial-exec: the library is built with -fPIC, and the default TLS model would
// make every access a call to __tls_get_addr (and the fast paths non-leaf).
[[gnu::tls_model("initial-exec")]] constinit thread_local pool tls_pool{};

// A free list handed to the depot whole: no walk to find its tail.
struct batch {
  free_block* head;
  std::size_t n;
};

struct depot {
  std::mutex mutex;
  std::vector<batch> batches[classes];
  std::atomic<bool> nonempty[classes] = {};
};

depot& the_depot() noexcept {
  static depot* d = new depot;  // never destroyed: threads may exit after static destruction
  return *d;
}

constexpr std::size_t class_of(std::size_t size) { return (size + granule - 1) / granule - 1; }
// A frame's class: its size rounded up to a multiple of 16.
constexpr std::size_t frame_class_of(std::size_t size) {
  return (size + frame_granule - 1) / frame_granule * (frame_granule / granule) - 1;
}
constexpr std::size_t class_bytes(std::size_t c) { return (c + 1) * granule; }
// The most blocks a thread's list of class c keeps: about 64 KiB, at least 32.
// A table, so the free path does no division.
inline constexpr auto list_bounds = [] {
  std::array<std::uint32_t, classes> t{};
  for (std::size_t c = 0; c < classes; ++c) {
    const std::size_t n = chunk_bytes / class_bytes(c);
    t[c] = static_cast<std::uint32_t>(n < 32 ? 32 : n);
  }
  return t;
}();

// Hands a list of n blocks to the depot's class c. Lock held. If the depot cannot
// grow, the blocks are kept out of use rather than lost to a crash.
void depot_push(depot& d, std::size_t c, free_block* head, std::size_t n) noexcept {
  try {
    d.batches[c].push_back({head, n});
  } catch (const std::bad_alloc&) {
    return;
  }
  d.nonempty[c].store(true, std::memory_order_relaxed);
}

// Takes one list from the depot's class c (n set to its length), or nullptr. Lock held.
free_block* depot_take(depot& d, std::size_t c, std::size_t& n) noexcept {
  auto& v = d.batches[c];
  if (v.empty()) return nullptr;
  const batch b = v.back();
  v.pop_back();
  if (v.empty()) d.nonempty[c].store(false, std::memory_order_relaxed);
  n = b.n;
  return b.head;
}

struct exit_hook {
  bool armed = false;

  exit_hook() = default;
  exit_hook(const exit_hook&) = delete;
  exit_hook& operator=(const exit_hook&) = delete;
  ~exit_hook() {
    pool& p = tls_pool;
    depot& d = the_depot();
    std::lock_guard lock(d.mutex);
    for (std::size_t c = 0; c < classes; ++c) {
      if (!p.heads[c]) continue;
      depot_push(d, c, p.heads[c], p.counts[c]);
      p.heads[c] = nullptr;
      p.counts[c] = 0;
    }
    // The rest of the chunk, as the largest blocks that fit.
    while (static_cast<std::size_t>(p.carve_end - p.carve_next) >= frame_granule) {
      std::size_t left = static_cast<std::size_t>(p.carve_end - p.carve_next);
      std::size_t bytes = left < max_pooled ? left / frame_granule * frame_granule : max_pooled;
      auto* b = reinterpret_cast<free_block*>(p.carve_next);
      p.carve_next += bytes;
      b->next = nullptr;
      depot_push(d, class_of(bytes), b, 1);
    }
    p.carve_next = p.carve_end = nullptr;
    p.dead = true;
  }
};

thread_local exit_hook tls_exit_hook;

// Carves a block of class c. A class of an odd multiple of 8 is carved two blocks
// at a time (keeping every carve a multiple of 16); the second goes to `spare`.
void* carve(char*& next, char*& end, std::size_t c, free_block*& spare) {
  std::size_t bytes = class_bytes(c);
  bool pair = bytes % frame_granule != 0;
  std::size_t take = pair ? 2 * bytes : bytes;
  if (static_cast<std::size_t>(end - next) < take) {
    next = static_cast<char*>(::operator new(chunk_bytes));  // the old tail is dropped
    end = next + chunk_bytes;
  }
  void* b = next;
  next += take;
  if (pair) {
    auto* second = reinterpret_cast<free_block*>(static_cast<char*>(b) + bytes);
    second->next = spare;
    spare = second;
  }
  return b;
}

[[gnu::noinline]] void* alloc_slow(std::size_t size, std::size_t c) {
  if (size > max_pooled) return ::operator new(size);
  pool& p = tls_pool;
  depot& d = the_depot();
  if (p.dead) {
    std::lock_guard lock(d.mutex);
    std::size_t n = 0;
    if (free_block* b = depot_take(d, c, n)) {
      if (n > 1) depot_push(d, c, b->next, n - 1);
      return b;
    }
    static char* next = nullptr;  // guarded by d.mutex
    static char* end = nullptr;
    free_block* spare = nullptr;
    void* b = carve(next, end, c, spare);
    if (spare) depot_push(d, c, spare, 1);
    return b;
  }
  if (!p.hooked) {
    p.hooked = true;
    tls_exit_hook.armed = true;  // constructs it: its destructor runs at thread exit
  }
  if (d.nonempty[c].load(std::memory_order_relaxed)) {
    std::lock_guard lock(d.mutex);
    std::size_t n = 0;
    if (free_block* b = depot_take(d, c, n)) {
      // A whole list: one lock per refill, not per block.
      p.heads[c] = b->next;
      p.counts[c] = static_cast<std::uint32_t>(n - 1);
      return b;
    }
  }
  void* b = carve(p.carve_next, p.carve_end, c, p.heads[c]);
  if (p.heads[c]) p.counts[c] = 1;  // the spare of a pair (the list was empty)
  return b;
}

// The thread's list of class c passed its bound: all of it goes to the depot,
// as one batch (no walk).
[[gnu::noinline]] void spill(pool& p, std::size_t c) noexcept {
  depot& d = the_depot();
  std::lock_guard lock(d.mutex);
  depot_push(d, c, p.heads[c], p.counts[c]);
  p.heads[c] = nullptr;
  p.counts[c] = 0;
}

[[gnu::noinline]] void free_slow(void* ptr, std::size_t size, std::size_t c) noexcept {
  if (size > max_pooled) {
    ::operator delete(ptr);
    return;
  }
  depot& d = the_depot();
  auto* b = static_cast<free_block*>(ptr);
  b->next = nullptr;
  std::lock_guard lock(d.mutex);
  depot_push(d, c, b, 1);
}

[[gnu::always_inline]] inline void* pool_alloc(std::size_t size, std::size_t c) {
  if (size <= max_pooled) [[likely]] {
    pool& p = tls_pool;
    free_block*& head = p.heads[c];
    if (free_block* b = head) [[likely]] {
      head = b->next;
      --p.counts[c];
      // The next allocation loads head->next: fetch that line now (for writing:
      // the block is written next) so the loads of a list whose blocks were
      // last written on another core (a multi-thread runtime's frames, freed by
      // the worker that ran them) do not form a chain of serial cache misses.
      __builtin_prefetch(head, 1);  // null at the end of the list: a prefetch never faults
      return b;
    }
  }
  return alloc_slow(size, c);
}

[[gnu::always_inline]] inline void pool_free(void* ptr, std::size_t size, std::size_t c) noexcept {
  pool& p = tls_pool;
  if (size > max_pooled || p.dead) [[unlikely]] {
    return free_slow(ptr, size, c);
  }
  auto* b = static_cast<free_block*>(ptr);
  free_block*& head = p.heads[c];
  b->next = head;
  head = b;
  if (++p.counts[c] > list_bounds[c]) [[unlikely]]
    spill(p, c);
}

}  // namespace

// The fast paths: no call, no saved register; everything else is out of line.
void* frame_alloc(std::size_t size) { return pool_alloc(size, frame_class_of(size)); }
void frame_free(void* ptr, std::size_t size) noexcept {
  pool_free(ptr, size, frame_class_of(size));
}
void* cell_alloc(std::size_t size) { return pool_alloc(size, class_of(size)); }
void cell_free(void* ptr, std::size_t size) noexcept { pool_free(ptr, size, class_of(size)); }

#endif

}  // namespace eddy::detail
