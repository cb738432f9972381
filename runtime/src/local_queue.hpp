// local_queue.hpp: a worker's bounded run queue. One owner thread pushes and
// pops; any other worker may steal half of it. No locks.
//
// A ring of `capacity` slots indexed by two free-running 32-bit counters:
// `head_` (the next task to take; advanced by the owner's pop and by thieves,
// always with a CAS) and `tail_` (the next free slot; written only by the owner,
// with a release store). Length = tail_ - head_ (modular).
//
// Invariants:
//   1. Only the owner writes tail_ and the slots in [tail_, head_ + capacity);
//      nobody reads a slot outside [head_, tail_) and keeps the value.
//   2. A consumer (owner pop, thief) reads the slots it takes before its CAS of
//      head_; the CAS succeeds only if head_ did not move, i.e. no slot it read
//      was taken and overwritten meanwhile. The owner's push loads head_
//      (acquire) before writing a slot, so it never overwrites a slot a
//      consumer has yet to read (a successful CAS is release).
//   3. The owner's release store of tail_ publishes the slot and the task it
//      points to; consumers load tail_ with acquire.
//   4. push() never fails: when the ring is full, the owner takes the older half
//      (with the same CAS as a thief) and hands it, with the new task, to the
//      overflow sink (the injection queue), so the ring stays bounded.
//
// Slots are atomics (relaxed): a thief may read a slot the owner is rewriting
// after the thief lost the race (rule 2 then discards the value), which is not a
// data race.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include <eddy/detail/task_header.hpp>

namespace eddy::detail {

class local_queue {
 public:
  static constexpr std::uint32_t capacity = 256;
  static_assert((capacity & (capacity - 1)) == 0, "capacity is a power of two");

  /// Owner only. Appends `t` and returns the length after the push. When the
  /// ring is full, calls `overflow(batch)` instead with a task_queue<true>&
  /// holding the older half of the ring and then `t`, in FIFO order, and
  /// returns 0.
  template <class Overflow>
  std::uint32_t push(task_header* t, Overflow&& overflow) noexcept {
    for (;;) {
      std::uint32_t h = head_.load(std::memory_order_acquire);  // rule 2
      std::uint32_t tl = tail_.load(std::memory_order_relaxed);
      if (tl - h < capacity) {
        slot(tl).store(t, std::memory_order_relaxed);
        tail_.store(tl + 1, std::memory_order_release);  // rule 3
        return tl + 1 - h;
      }
      // Full: take the older half like a thief would (rule 4).
      // Link nothing before the CAS: a thief may own and link those tasks.
      constexpr std::uint32_t half = capacity / 2;
      std::array<task_header*, half> taken;
      for (std::uint32_t i = 0; i < half; ++i)
        taken[i] = slot(h + i).load(std::memory_order_relaxed);
      if (!head_.compare_exchange_strong(h, h + half, std::memory_order_acq_rel,
                                         std::memory_order_acquire))
        continue;  // a thief took some: there is room now
      task_queue<true> batch;
      for (task_header* x : taken) batch.push_back(*x);
      batch.push_back(*t);
      overflow(batch);
      return 0;
    }
  }

  /// Owner only. The oldest task, or nullptr.
  task_header* pop() noexcept {
    std::uint32_t h = head_.load(std::memory_order_acquire);
    for (;;) {
      std::uint32_t tl = tail_.load(std::memory_order_relaxed);
      if (h == tl) return nullptr;
      task_header* t = slot(h).load(std::memory_order_relaxed);
      if (head_.compare_exchange_weak(h, h + 1, std::memory_order_acq_rel,
                                      std::memory_order_acquire))
        return t;
    }
  }

  /// Called by the owner of `into` (a thief; not this queue's owner): moves half
  /// (rounded up) of this queue into `into`, which must be empty, and returns
  /// one of the stolen tasks to run now (nullptr if there was nothing).
  task_header* steal_into(local_queue& into) noexcept {
    std::uint32_t dst_tail = into.tail_.load(std::memory_order_relaxed);
    std::uint32_t h = head_.load(std::memory_order_acquire);
    for (;;) {
      std::uint32_t tl = tail_.load(std::memory_order_acquire);  // rule 3
      std::uint32_t len = tl - h;
      if (len == 0 || len > capacity) {  // empty, or a stale head: reload
        if (len == 0) return nullptr;
        h = head_.load(std::memory_order_acquire);
        continue;
      }
      std::uint32_t n = len - len / 2;
      // Copy into our own free slots first (nobody else reads them), then claim.
      for (std::uint32_t i = 0; i < n; ++i)
        into.slot(dst_tail + i)
            .store(slot(h + i).load(std::memory_order_relaxed), std::memory_order_relaxed);
      if (head_.compare_exchange_weak(h, h + n, std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
        task_header* first = into.slot(dst_tail + n - 1).load(std::memory_order_relaxed);
        if (n > 1) into.tail_.store(dst_tail + n - 1, std::memory_order_release);
        return first;
      }
    }
  }

  /// Tasks queued now (a snapshot; any thread).
  [[nodiscard]] std::uint32_t size() const noexcept {
    std::uint32_t tl = tail_.load(std::memory_order_acquire);
    std::uint32_t h = head_.load(std::memory_order_acquire);
    std::uint32_t len = tl - h;
    return len > capacity ? 0 : len;
  }
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }

  /// Forgets every queued task (shutdown, after every thread has stopped).
  void clear() noexcept { head_.store(tail_.load(std::memory_order_relaxed)); }

 private:
  std::atomic<task_header*>& slot(std::uint32_t i) noexcept { return buf_[i & (capacity - 1)]; }

  alignas(64) std::atomic<std::uint32_t> head_{0};
  alignas(64) std::atomic<std::uint32_t> tail_{0};
  alignas(64) std::array<std::atomic<task_header*>, capacity> buf_{};
};

}  // namespace eddy::detail
