// alloc_counter.hpp: counts global operator new calls while enabled (the test
// executable replaces operator new in alloc_counter.cpp).
#pragma once

namespace eddy::sync::test {

void count_allocations(bool on) noexcept;
/// Allocations counted since the last call.
long take_allocation_count() noexcept;

}  // namespace eddy::sync::test
