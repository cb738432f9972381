// frame_allocator.hpp: a recycling allocator for coroutine frames and task cells.
// Freed blocks go to a per-thread free list of their size class (16-byte classes up
// to 1 KiB), so a steady state that spawns and finishes tasks does not call malloc.
// Built with AddressSanitizer it passes every call through to operator new/delete,
// so ASan still sees use-after-free of frames.
#pragma once

#include <cstddef>

namespace eddy::detail {

void* frame_alloc(std::size_t size);
void frame_free(void* p, std::size_t size) noexcept;

}  // namespace eddy::detail
