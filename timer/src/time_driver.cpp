#include <eddy/timer/time_driver.hpp>

#include <array>
#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <utility>

#include "timer/src/wheel.hpp"

namespace eddy::timer {
namespace {

using std::chrono::nanoseconds;
using tick_duration = std::chrono::milliseconds;

constexpr std::uint64_t no_tick = std::numeric_limits<std::uint64_t>::max();
// Far beyond any deadline the wheel distinguishes; keeps tick arithmetic clear of
// overflow for time_point::max().
constexpr std::uint64_t max_tick = std::uint64_t{1} << 62;
// Deadlines further than this from now never fire in practice (about 35 years):
// they wait on never_ instead of the wheel, so a paused clock does not lap the
// wheel millions of times looking for time_point::max().
constexpr std::uint64_t never_horizon = std::uint64_t{16} * detail::wheel::range;
// timer_entry::level of an entry on never_.
constexpr std::uint8_t never_level = 0xfe;
static_assert(never_level != detail::wheel::detached_level && never_level > detail::wheel::levels);
// Wakers woken per unlock of the mutex: bounds the stack while firing many timers.
constexpr std::size_t wake_batch = 32;

time_driver::time_point add_saturating(time_driver::time_point t, nanoseconds d) noexcept {
  if (d <= nanoseconds::zero()) return t;
  return d >= time_driver::time_point::max() - t ? time_driver::time_point::max() : t + d;
}

// The id registry (time_driver::acquire_id). Constant-initialised, so it lives
// in .bss and costs a page per 512 live drivers; ids are reused.
constexpr std::uint32_t max_drivers = std::uint32_t{1} << 16;  // time_driver::max_drivers
constinit std::uint32_t g_free_ids[max_drivers] = {};
constinit std::uint32_t g_free_count = 0;
constinit std::uint32_t g_next_id = 1;  // 0 means "no driver"
constinit std::mutex g_ids_mutex;

}  // namespace

std::uint32_t time_driver::acquire_id(time_driver* self) {
  static_assert(time_driver::max_drivers == max_drivers);
  std::lock_guard lock(g_ids_mutex);
  std::uint32_t id = 0;
  if (g_free_count > 0) {
    id = g_free_ids[--g_free_count];
  } else if (g_next_id < max_drivers) {
    id = g_next_id++;
  } else {
    std::fputs("eddy: more than 65535 time drivers (runtimes) alive at once\n", stderr);
    std::abort();
  }
  registry_[id].store(self, std::memory_order_release);
  return id;
}

void time_driver::release_id(std::uint32_t id) noexcept {
  std::lock_guard lock(g_ids_mutex);
  registry_[id].store(nullptr, std::memory_order_relaxed);
  g_free_ids[g_free_count++] = id;
}

constinit std::atomic<time_driver*> time_driver::registry_[time_driver::max_drivers] = {};

time_driver::time_driver(std::unique_ptr<driver> inner, clock_mode mode)
    : inner_(std::move(inner)),
      clock_(mode),
      origin_(clock_.now()),
      wheel_(std::make_unique<detail::wheel>(0, origin_.time_since_epoch().count())),
      id_(acquire_id(this)) {
  assert(inner_ && "time_driver needs an inner driver");
}

time_driver::~time_driver() {
  shutdown_entries();
  release_id(id_);  // no entry names this driver any more (invariant 3)
}

void time_driver::shutdown_entries() noexcept {
  std::unique_lock lock(mutex_);
  wheel_->drain(fired_);
  fired_.splice(fired_.end(), never_);
  while (!fired_.empty()) {
    std::array<waker, wake_batch> batch;
    std::size_t n = 0;
    while (!fired_.empty() && n < wake_batch) {
      detail::timer_entry& e = fired_.front();
      fired_.pop_front();
      batch[n++] = std::move(e.waker);
      e.state.store(detail::entry_state::shutdown, std::memory_order_release);  // invariant 3
    }
    lock.unlock();  // invariant 2
    for (std::size_t i = 0; i < n; ++i) std::move(batch[i]).wake();
    lock.lock();
  }
}

std::uint64_t time_driver::ticks_since_origin(time_point t, bool round_up) const noexcept {
  std::uint64_t ticks = detail::ticks_between(origin_.time_since_epoch().count(),
                                              t.time_since_epoch().count(), round_up);
  return ticks < max_tick ? ticks : max_tick;
}

std::uint64_t time_driver::deadline_tick(time_point t) const noexcept {
  return ticks_since_origin(t, true);  // a timer never fires early
}

time_driver::time_point time_driver::tick_time(std::uint64_t tick) const noexcept {
  constexpr auto per_tick = std::chrono::duration_cast<duration>(tick_duration(1)).count();
  auto room = (time_point::max() - origin_).count() / per_tick;
  if (tick >= static_cast<std::uint64_t>(room)) return time_point::max();
  return origin_ + duration(static_cast<duration::rep>(tick) * per_tick);
}

void time_driver::park(std::optional<nanoseconds> timeout) {
  if (clock_.is_paused()) {
    park_paused(timeout);
  } else {
    park_real(timeout);
  }
}

void time_driver::park_real(std::optional<nanoseconds> timeout) {
  if (timeout && *timeout <= nanoseconds::zero()) {
    // A poll (the executor's periodic one): it never blocks, so there is no wait
    // to bound by the next deadline and no parked_until_ to publish.
    inner_->park(nanoseconds::zero());
    unparked_.store(false, std::memory_order_relaxed);
    fire(clock_.now());
    return;
  }
  std::optional<nanoseconds> wait = timeout;
  {
    std::lock_guard lock(mutex_);
    // The clock is read only when there is a deadline to wait for: an I/O-driven
    // thread without timers parks with no read beyond fire()'s.
    std::uint64_t until = no_tick;
    auto next = wheel_->next_expiration();
    time_point now = next || wait ? clock_.now() : time_point{};
    if (next) {
      // The inner driver (epoll) takes whole milliseconds: round up, or a 300 us
      // deadline becomes 0 and spins.
      auto left = std::chrono::ceil<tick_duration>(tick_time(*next) - now);
      nanoseconds left_ns = left > tick_duration::zero() ? nanoseconds(left) : nanoseconds::zero();
      if (!wait || left_ns < *wait) {
        wait = left_ns;
        until = *next;
      }
    }
    if (until == no_tick && wait) until = deadline_tick(add_saturating(now, *wait));
    parked_ = true;
    parked_until_ = until;
  }
  turn_now_.store(parked_mark, std::memory_order_relaxed);  // recent_now() reads the clock
  inner_->park(wait);
  unparked_.store(false, std::memory_order_relaxed);
  fire(clock_.now());
}

void time_driver::park_paused(std::optional<nanoseconds> timeout) {
  // Whatever the inner driver has ready now (I/O), and a pending unpark().
  inner_->park(nanoseconds::zero());
  bool woken = unparked_.exchange(false, std::memory_order_acq_rel);
  if (fire(clock_.now()) > 0 || woken || (timeout && *timeout <= nanoseconds::zero())) return;

  std::optional<time_point> limit;
  if (timeout) limit = add_saturating(clock_.now(), *timeout);
  for (;;) {
    std::unique_lock lock(mutex_);
    auto next = wheel_->next_expiration();
    if (!next && !limit) {
      // No timer and no timeout: nothing would ever move the clock. Block until
      // an unpark() or a registration (any deadline is earlier than "never").
      parked_ = true;
      parked_until_ = no_tick;
      break;
    }
    // Auto-advance: nothing can happen before the next deadline but an unpark(),
    // and an unpark() would have stopped us. The wheel's next point of work may
    // be a cascade rather than a deadline; keep going until a timer fires.
    time_point target = next ? tick_time(*next) : time_point::max();
    if (limit && *limit < target) target = *limit;
    clock_.advance_to(target);
    lock.unlock();
    if (fire(clock_.now()) > 0 || (limit && clock_.now() >= *limit) ||
        unparked_.exchange(false, std::memory_order_acq_rel)) {
      return;
    }
  }
  inner_->park(std::nullopt);
  unparked_.store(false, std::memory_order_relaxed);
  fire(clock_.now());
}

std::size_t time_driver::fire(time_point now) {
  std::size_t fired = 0;
  turn_now_.store(now, std::memory_order_relaxed);
  std::unique_lock lock(mutex_);
  parked_ = false;
  wheel_->advance(ticks_since_origin(now, false), fired_);
  while (!fired_.empty()) {
    std::array<waker, wake_batch> batch;
    std::size_t n = 0;
    while (!fired_.empty() && n < wake_batch) {
      detail::timer_entry& e = fired_.front();
      fired_.pop_front();
      batch[n++] = std::move(e.waker);
      e.state.store(detail::entry_state::fired, std::memory_order_release);  // invariant 3
    }
    lock.unlock();  // invariant 2
    for (std::size_t i = 0; i < n; ++i) std::move(batch[i]).wake();
    fired += n;
    lock.lock();
  }
  return fired;
}

void time_driver::unpark() noexcept {
  unparked_.store(true, std::memory_order_release);
  inner_->unpark();
}

void* time_driver::service(driver_service which) noexcept {
  if (which == driver_service::timer) return this;
  return inner_->service(which);
}

void time_driver::advance(duration d) noexcept {
  if (!clock_.is_paused()) return;
  clock_.advance(d);
  unpark();
}

std::size_t time_driver::timer_count() const {
  std::lock_guard lock(mutex_);
  return wheel_->size() + fired_.size() + never_.size();
}

std::optional<time_driver::time_point> time_driver::next_deadline() const {
  std::lock_guard lock(mutex_);
  if (!fired_.empty()) return now();
  if (auto next = wheel_->next_expiration()) return tick_time(*next);
  return std::nullopt;
}

void time_driver::unlink(detail::timer_entry& e) noexcept {
  if (e.level == detail::wheel::detached_level) {
    fired_.erase(fired_.iterator_to(e));
  } else if (e.level == never_level) {
    never_.erase(never_.iterator_to(e));
  } else {
    wheel_->remove(e);
  }
}

polled<void> time_driver::poll_entry(detail::timer_entry& e, time_point deadline, const waker& w) {
  waker old;  // dropped after the lock is released (invariant 2)
  bool unpark_inner = false;
  {
    std::lock_guard lock(mutex_);
    auto state = e.state.load(std::memory_order_relaxed);
    if (state != detail::entry_state::idle && state != detail::entry_state::registered) {
      return ready();  // fired while we waited for the lock
    }
    if (clock_.now() >= deadline) {
      if (state == detail::entry_state::registered) {
        unlink(e);
        old = std::move(e.waker);
      }
      e.state.store(detail::entry_state::fired, std::memory_order_relaxed);
      return ready();
    }
    if (state == detail::entry_state::idle) {
      assert(e.when == deadline.time_since_epoch().count());
      std::uint64_t tick = deadline_tick(deadline);  // the wheel's tick_of(e)
      e.waker = w;
      if (tick > wheel_->elapsed() && tick - wheel_->elapsed() >= never_horizon) {
        e.level = never_level;
        never_.push_back(e);
      } else {
        wheel_->insert(e, tick);
      }
      e.state.store(detail::entry_state::registered, std::memory_order_relaxed);
      if (parked_ && tick < parked_until_) {  // invariant 4
        parked_until_ = tick;
        unpark_inner = true;
      }
    } else if (!e.waker.will_wake(w)) {
      old = std::exchange(e.waker, w);
    }
  }
  if (unpark_inner) inner_->unpark();
  return pending;
}

void time_driver::cancel(detail::timer_entry& e) noexcept {
  waker old;  // invariant 2
  std::lock_guard lock(mutex_);
  if (e.state.load(std::memory_order_relaxed) != detail::entry_state::registered) return;
  unlink(e);
  old = std::move(e.waker);
  e.state.store(detail::entry_state::idle, std::memory_order_relaxed);
}

void time_driver::move_entry(detail::timer_entry& from, detail::timer_entry& to) noexcept {
  std::lock_guard lock(mutex_);
  auto state = from.state.load(std::memory_order_relaxed);
  if (state == detail::entry_state::registered) {
    to.when = from.when;
    to.waker = std::move(from.waker);
    if (from.level == detail::wheel::detached_level || from.level == never_level) {
      auto& list = from.level == never_level ? never_ : fired_;
      to.level = from.level;
      list.insert(list.iterator_to(from), to);
      list.erase(list.iterator_to(from));
    } else {
      wheel_->replace(from, to);
    }
    from.state.store(detail::entry_state::idle, std::memory_order_relaxed);
  }
  to.state.store(state, std::memory_order_relaxed);
}

}  // namespace eddy::timer
