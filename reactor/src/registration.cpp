#include <eddy/reactor/registration.hpp>

#include <cassert>
#include <cerrno>

#include <eddy/error.hpp>
#include <eddy/reactor/reactor.hpp>

#include "reactor/src/reactor_impl.hpp"

namespace eddy {

using detail::direction_bits;
using detail::generation_of;
using detail::make_state;
using detail::trigger_bits;

result<io_registration> io_registration::open(reactor& r, int fd) noexcept {
  detail::reactor_impl& impl = r.impl();
  detail::io_slot* s = nullptr;
  try {
    s = impl.slab_.allocate();
  } catch (const std::bad_alloc&) {
  }
  if (!s) return std::error_code(ENOMEM, std::system_category());
  const std::uint32_t gen = generation_of(s->state.load(std::memory_order_acquire));
  s->fd = fd;
  // Tick 0 and both directions ready: the first operation tries its syscall
  // (io_slot.hpp rule 2). Published before add(), so no event can precede it.
  s->state.store(make_state(gen, 0, io_ready::readable | io_ready::writable),
                 std::memory_order_release);
  if (auto ec = impl.backend_.add(fd, detail::make_token(gen, s->index))) {
    s->state.store(make_state(gen + 1, 0, 0), std::memory_order_release);
    impl.slab_.release(s);
    return ec;
  }
  impl.registration_opened();
  io_registration reg;
  reg.reactor_ = &impl;
  reg.slot_ = s;
  reg.generation_ = gen;
  return reg;
}

result<io_registration> io_registration::open(int fd) noexcept {
  reactor* r = reactor::current();
  if (!r) return errc::no_runtime;
  return open(*r, fd);
}

int io_registration::fd() const noexcept { return slot_ ? slot_->fd : -1; }

void io_registration::reset() noexcept {
  if (!slot_) return;
  detail::io_slot* s = std::exchange(slot_, nullptr);
  detail::reactor_impl* impl = std::exchange(reactor_, nullptr);
  // EBADF/ENOENT: the caller closed the fd first; epoll already forgot it.
  (void)impl->backend_.remove(s->fd);
  // Rule 1: after this store no event for this generation changes the slot.
  s->state.store(make_state(generation_ + 1, 0, 0), std::memory_order_release);
  waker reader, writer;
  {
    std::lock_guard lock(s->mutex);  // rule 5
    reader = std::move(s->reader);
    writer = std::move(s->writer);
    s->reader.reset();
    s->writer.reset();
  }
  s->fd = -1;
  impl->slab_.release(s);
  impl->registration_closed();
  // The wakers drop here, unwoken: their tasks are going away or moving on.
  impl->descriptor_released();
}

polled<io_ready> io_registration::poll_ready(context& cx, io_direction d) noexcept {
  assert(slot_ && "poll_ready on an empty io_registration");
  auto snapshot = [&](std::uint64_t st) {
    return io_ready{static_cast<std::uint8_t>(st & detail::ready_mask), detail::tick_of(st)};
  };
  std::uint64_t st = slot_->state.load(std::memory_order_acquire);
  if (st & trigger_bits(d)) return snapshot(st);
  {
    std::lock_guard lock(slot_->mutex);  // rule 4
    waker& slot = d == io_direction::read ? slot_->reader : slot_->writer;
    if (!slot.will_wake(cx.waker())) slot = cx.waker();
    st = slot_->state.load(std::memory_order_acquire);
  }
  if (st & trigger_bits(d)) return snapshot(st);
  return pending;
}

void io_registration::clear_ready(const io_ready& ev, io_direction d) noexcept {
  assert(slot_);
  std::uint64_t cur = slot_->state.load(std::memory_order_acquire);
  std::uint64_t next;
  do {
    // rule 3: a newer event (other tick) or another owner (other generation) wins.
    if (generation_of(cur) != generation_ || detail::tick_of(cur) != ev.tick) return;
    next = cur & ~std::uint64_t{direction_bits(d)};
  } while (!slot_->state.compare_exchange_weak(cur, next, std::memory_order_acq_rel,
                                               std::memory_order_acquire));
}

void io_registration::wait_for_descriptor(context& cx) noexcept {
  assert(reactor_);
  try {
    reactor_->wait_for_descriptor(cx.waker());
  } catch (...) {
    // Out of memory for the waiter list: wake at once rather than hang.
    cx.waker().wake_by_ref();
  }
}

}  // namespace eddy
