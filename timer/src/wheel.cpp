#include "timer/src/wheel.hpp"

#include <bit>
#include <cassert>

namespace eddy::timer::detail {
namespace {

constexpr std::uint64_t slot_mask = wheel::slots_per_level - 1;

// The level for `deadline` seen from `elapsed`: where their highest differing bit
// falls. OR-ing in the slot mask maps "same level-0 lap" to level 0.
unsigned level_for(std::uint64_t elapsed, std::uint64_t deadline) noexcept {
  std::uint64_t masked = (elapsed ^ deadline) | slot_mask;
  if (masked >= wheel::range) return wheel::levels - 1;  // beyond range: invariant 1
  auto significant = static_cast<unsigned>(63 - std::countl_zero(masked));
  return significant / wheel::slot_bits;
}

unsigned slot_for(std::uint64_t deadline, unsigned level) noexcept {
  return static_cast<unsigned>((deadline >> (level * wheel::slot_bits)) & slot_mask);
}

}  // namespace

wheel::~wheel() { assert(empty() && "timer wheel destroyed with entries linked"); }

void wheel::file(timer_entry& e, std::uint64_t deadline) noexcept {
  assert(deadline == tick_of(e));
  if (deadline <= elapsed_) {
    e.level = pending_level;
    pending_.push_back(e);
    return;
  }
  unsigned level = level_for(elapsed_, deadline);
  unsigned slot = slot_for(deadline, level);
  e.level = static_cast<std::uint8_t>(level);
  e.slot = static_cast<std::uint8_t>(slot);
  slots_[level][slot].push_back(e);
  occupied_[level] |= std::uint64_t{1} << slot;
}

void wheel::insert(timer_entry& e, std::uint64_t tick) noexcept {
  assert(!e.is_linked());
  file(e, tick);
  ++size_;
}

void wheel::remove(timer_entry& e) noexcept {
  assert(e.is_linked() && e.level != detached_level);
  if (e.level == pending_level) {
    pending_.erase(pending_.iterator_to(e));
  } else {
    entry_list& list = slots_[e.level][e.slot];
    list.erase(list.iterator_to(e));
    if (list.empty()) occupied_[e.level] &= ~(std::uint64_t{1} << e.slot);
  }
  --size_;
}

void wheel::replace(timer_entry& old, timer_entry& fresh) noexcept {
  assert(old.is_linked() && old.level != detached_level && !fresh.is_linked());
  entry_list& list = old.level == pending_level ? pending_ : slots_[old.level][old.slot];
  fresh.when = old.when;
  fresh.level = old.level;
  fresh.slot = old.slot;
  list.insert(list.iterator_to(old), fresh);
  list.erase(list.iterator_to(old));
}

std::optional<wheel::slot_ref> wheel::next_slot() const noexcept {
  // Invariant 2: the lowest occupied level holds the earliest slot.
  for (unsigned level = 0; level < levels; ++level) {
    std::uint64_t mask = occupied_[level];
    if (mask == 0) continue;
    unsigned shift = level * slot_bits;
    auto now_slot = static_cast<unsigned>((elapsed_ >> shift) & slot_mask);
    // Slots strictly after now_slot, wrapping: now_slot itself was processed when
    // elapsed_ entered it (invariant 1).
    unsigned first = (now_slot + 1) & slot_mask;
    auto skip = static_cast<unsigned>(std::countr_zero(std::rotr(mask, static_cast<int>(first))));
    unsigned slot = (first + skip) & slot_mask;
    std::uint64_t lap = std::uint64_t{1} << (shift + slot_bits);
    std::uint64_t start = (elapsed_ & ~(lap - 1)) + (std::uint64_t{slot} << shift);
    if (slot <= now_slot) {
      // Only entries beyond the range wrap (invariant 1): their slot is next lap's.
      assert(level == levels - 1);
      start += lap;
    }
    return slot_ref{start, level, slot};
  }
  return std::nullopt;
}

std::optional<std::uint64_t> wheel::next_expiration() const noexcept {
  if (!pending_.empty()) return elapsed_;
  if (auto s = next_slot()) return s->start;
  return std::nullopt;
}

void wheel::advance(std::uint64_t now, entry_list& expired) noexcept {
  auto expire = [&](timer_entry& e) {
    e.level = detached_level;
    expired.push_back(e);
    --size_;
  };
  while (!pending_.empty()) {
    timer_entry& e = pending_.front();
    pending_.pop_front();
    expire(e);
  }
  if (now <= elapsed_) return;

  while (auto s = next_slot()) {
    if (s->start > now) break;
    // Every slot starting at or before s->start has been processed, so moving
    // elapsed_ there keeps invariant 1 for all other entries.
    assert(s->start > elapsed_);
    elapsed_ = s->start;
    entry_list taken;
    taken.swap(slots_[s->level][s->slot]);
    occupied_[s->level] &= ~(std::uint64_t{1} << s->slot);
    while (!taken.empty()) {
      timer_entry& e = taken.front();
      taken.pop_front();
      std::uint64_t tick = tick_of(e);
      if (tick <= now) {
        expire(e);
      } else {
        // Cascade: relative to the slot start the deadline lands on a lower level
        // (or, beyond the range, on a later level-5 slot), so this terminates.
        file(e, tick);
      }
    }
  }
  elapsed_ = now;
}

void wheel::drain(entry_list& out) noexcept {
  auto take = [&](entry_list& list) {
    while (!list.empty()) {
      timer_entry& e = list.front();
      list.pop_front();
      e.level = detached_level;
      out.push_back(e);
    }
  };
  take(pending_);
  for (unsigned level = 0; level < levels; ++level) {
    for (auto& list : slots_[level]) take(list);
    occupied_[level] = 0;
  }
  size_ = 0;
}

}  // namespace eddy::timer::detail
