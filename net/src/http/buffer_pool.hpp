// buffer_pool.hpp: a small per-thread cache of 16 KiB blocks for the buffers a
// connection needs only while it is busy (the codec's receive buffer, the output
// buffer's arena). A connection takes a block when bytes arrive or a response is
// written and gives it back when it drains, so idle connections hold none and a
// busy thread reuses the same few blocks without calling malloc.
//
// Blocks of 16 KiB and of 2, 4 and 8 times that (an output buffer doubling while
// a response streams) are cached, a bounded number of each (at most 256 KiB of
// 16 KiB blocks and 512 KiB of the larger ones per thread); blocks of any other
// size go to and come from the heap. A block may be given back on another
// thread than the one that took it (a task moved between workers).
#pragma once

#include <cstddef>
#include <memory>

namespace eddy::net::http::detail {

inline constexpr std::size_t pooled_block_size = 16 * 1024;
inline constexpr std::size_t max_cached_blocks = 16;
inline constexpr std::size_t pooled_classes = 4;  // 16, 32, 64, 128 KiB

/// A block of `size` bytes (uninitialised), from this thread's cache when
/// `size` is pooled_block_size and the cache has one.
std::unique_ptr<char[]> take_block(std::size_t size);
/// Gives `block` (of `size` bytes, from take_block()) back; leaves it null.
void give_back(std::unique_ptr<char[]>& block, std::size_t size) noexcept;

}  // namespace eddy::net::http::detail
