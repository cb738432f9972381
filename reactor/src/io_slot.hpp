// io_slot.hpp: the per-fd state behind an io_registration, and the slab that owns
// every slot of a reactor.
//
// State word (one atomic std::uint64_t, in the spirit of Tokio's ScheduledIo):
//
//   | 63 ........ 32 | 31 ........ 8 | 7 ..... 0 |
//   |   generation   |  tick (24 b)  | io_ready  |
//
// Rules:
//   1. The generation changes (only) when the slot is released. The backend token
//      is (generation << 32 | index), so an event still in flight for a released
//      and reused slot fails the generation compare and is dropped.
//   2. The driving thread sets ready bits with the tick of its current turn
//      (CAS, checking the generation). Tick 0 is never a turn's tick: it marks the
//      "assume ready" state a fresh registration starts in.
//   3. A clear (after EAGAIN) is a CAS that succeeds only if generation and tick
//      are those the cleared io_ready was read with: an event dispatched since
//      then carries another tick, so a clear never hides a fresh edge. Two events
//      for one fd never share a tick (the backend coalesces per wait).
//   4. mutex guards reader/writer. A poller stores its waker under the mutex and
//      then re-reads the state; the dispatcher publishes the state before taking
//      the mutex to collect wakers. Either the poller sees the new bits or the
//      dispatcher sees the waker: no lost wake-up. The mutex is a futex_lock (4
//      bytes, lock and unlock inline): a poller that finds no readiness takes it
//      on every wait, so std::mutex's two pthread calls were a per-request cost.
//   5. Release drops the wakers without waking them, under the mutex and after
//      the generation bump, so a dispatcher that comes later finds none to wake.
//
// Slots live in fixed pages that are never freed before the reactor: a slot
// pointer stays valid for the reactor's lifetime, and the driving thread looks a
// slot up by index without a lock (pages_ entries are atomics, set once).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include <eddy/detail/futex_lock.hpp>
#include <eddy/reactor/registration.hpp>
#include <eddy/waker.hpp>

namespace eddy::detail {

inline constexpr std::uint64_t ready_mask = 0xff;
inline constexpr int tick_shift = 8;
inline constexpr std::uint64_t tick_mask = 0xffffffull << tick_shift;
inline constexpr std::uint32_t max_tick = 0xffffff;
inline constexpr int generation_shift = 32;

constexpr std::uint32_t generation_of(std::uint64_t s) noexcept {
  return static_cast<std::uint32_t>(s >> generation_shift);
}
constexpr std::uint32_t tick_of(std::uint64_t s) noexcept {
  return static_cast<std::uint32_t>((s & tick_mask) >> tick_shift);
}
constexpr std::uint64_t make_state(std::uint32_t gen, std::uint32_t tick,
                                   std::uint8_t ready) noexcept {
  return (std::uint64_t{gen} << generation_shift) | (std::uint64_t{tick} << tick_shift) | ready;
}
constexpr std::uint64_t make_token(std::uint32_t gen, std::uint32_t index) noexcept {
  return (std::uint64_t{gen} << 32) | index;
}

/// The bits that make direction `d` ready, and that an EAGAIN in `d` clears.
constexpr std::uint8_t direction_bits(io_direction d) noexcept {
  return d == io_direction::read ? io_ready::readable | io_ready::read_closed | io_ready::error
                                 : io_ready::writable | io_ready::write_closed | io_ready::error;
}
constexpr std::uint8_t trigger_bits(io_direction d) noexcept {
  return d == io_direction::read ? io_ready::readable : io_ready::writable;
}

struct io_slot {
  std::atomic<std::uint64_t> state{0};
  futex_lock mutex;  // rule 4
  waker reader;      // rule 4
  waker writer;      // rule 4
  int fd = -1;
  std::uint32_t index = 0;
};

class slab {
 public:
  static constexpr std::size_t page_slots = 256;
  static constexpr std::size_t max_pages = 4096;  // about a million registrations

  slab() = default;
  slab(const slab&) = delete;
  slab& operator=(const slab&) = delete;
  ~slab() {
    for (auto& p : pages_) delete[] p.load(std::memory_order_relaxed);
  }

  /// A free slot (its state holds the current generation), or nullptr when full.
  io_slot* allocate() {
    std::lock_guard lock(mutex_);
    io_slot* s;
    if (!free_.empty()) {
      s = get(free_.back());
      free_.pop_back();
    } else {
      const std::uint32_t index = next_;
      const std::size_t page = index / page_slots;
      if (page >= max_pages) return nullptr;
      if (index % page_slots == 0) {
        auto* fresh = new io_slot[page_slots];
        for (std::size_t i = 0; i < page_slots; ++i) {
          fresh[i].index = static_cast<std::uint32_t>(page * page_slots + i);
        }
        // release: publishes the page's indices before the driving thread's lookup.
        pages_[page].store(fresh, std::memory_order_release);
      }
      ++next_;
      s = get(index);
    }
    ++live_;
    return s;
  }

  /// Precondition: the slot's generation was bumped and its wakers dropped.
  void release(io_slot* s) {
    std::lock_guard lock(mutex_);
    free_.push_back(s->index);
    --live_;
  }

  /// The slot at `index`, or nullptr if it was never allocated. Lock-free.
  [[nodiscard]] io_slot* get(std::uint64_t index) const noexcept {
    const std::size_t page = index / page_slots;
    if (page >= max_pages) return nullptr;
    io_slot* p = pages_[page].load(std::memory_order_acquire);
    return p ? &p[index % page_slots] : nullptr;
  }

  [[nodiscard]] std::size_t live() const {
    std::lock_guard lock(mutex_);
    return live_;
  }

 private:
  std::array<std::atomic<io_slot*>, max_pages> pages_{};
  mutable std::mutex mutex_;  // guards free_, next_, live_
  std::vector<std::uint32_t> free_;
  std::uint32_t next_ = 0;
  std::size_t live_ = 0;
};

}  // namespace eddy::detail
