#include <eddy/detail/frame_allocator.hpp>

#include <new>

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

#else

namespace {

inline constexpr std::size_t granule = 16;
inline constexpr std::size_t max_pooled = 1024;
inline constexpr std::size_t classes = max_pooled / granule;
// Bounds what one thread keeps per class: a burst of a million finished tasks
// returns most of its memory instead of holding it forever.
inline constexpr std::size_t max_cached = 4096;

struct free_block {
  free_block* next;
};

struct pool {
  free_block* heads[classes] = {};
  std::size_t counts[classes] = {};

  ~pool();
};

// Trivially destructible, so it stays readable after `tls_pool` is destroyed at
// thread exit: frames freed later (static destructors) go straight to the heap.
thread_local bool tls_pool_dead = false;
thread_local pool tls_pool;

pool::~pool() {
  tls_pool_dead = true;
  for (auto& head : heads) {
    while (head) {
      free_block* b = head;
      head = b->next;
      ::operator delete(b);
    }
  }
}

constexpr std::size_t class_of(std::size_t size) { return (size + granule - 1) / granule - 1; }

}  // namespace

void* frame_alloc(std::size_t size) {
  if (size <= max_pooled && !tls_pool_dead) {
    std::size_t c = class_of(size);
    pool& p = tls_pool;
    if (free_block* b = p.heads[c]) {
      p.heads[c] = b->next;
      --p.counts[c];
      return b;
    }
    return ::operator new((c + 1) * granule);
  }
  return ::operator new(size);
}

void frame_free(void* ptr, std::size_t size) noexcept {
  if (size <= max_pooled && !tls_pool_dead) {
    std::size_t c = class_of(size);
    pool& p = tls_pool;
    if (p.counts[c] < max_cached) {
      auto* b = static_cast<free_block*>(ptr);
      b->next = p.heads[c];
      p.heads[c] = b;
      ++p.counts[c];
      return;
    }
  }
  ::operator delete(ptr);
}

#endif

}  // namespace eddy::detail
