// Replaces the global operator new/delete of the sync test executable. Kept in its
// own file: a new-expression that sees these definitions inlined makes GCC warn
// about free() on memory from operator new.
#include "alloc_counter.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};
}  // namespace

namespace eddy::sync::test {
void count_allocations(bool on) noexcept { counting.store(on); }
long take_allocation_count() noexcept { return allocations.exchange(0); }
}  // namespace eddy::sync::test

void* operator new(std::size_t n) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
