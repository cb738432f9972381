// frame_allocator.hpp: a recycling allocator for coroutine frames and task cells.
// Freed blocks go to a per-thread free list of their size class (8-byte classes up
// to 1 KiB; frames, which need 16-byte alignment, use the multiples of 16), so a
// steady state that spawns and finishes tasks does not call malloc. Built with
// AddressSanitizer it passes every call through to operator new/delete, so ASan
// still sees use-after-free of frames.
#pragma once

#include <cstddef>

namespace eddy::detail {

void* frame_alloc(std::size_t size);
void frame_free(void* p, std::size_t size) noexcept;

/// The alignment cell_alloc guarantees (a coroutine frame needs 16; a task cell 8).
inline constexpr std::size_t cell_align = 8;
/// For objects aligned to at most cell_align (task cells): 8-byte size classes, so
/// a 104-byte cell takes 104 bytes, not 112. Freed with cell_free, same size.
void* cell_alloc(std::size_t size);
void cell_free(void* p, std::size_t size) noexcept;

}  // namespace eddy::detail
