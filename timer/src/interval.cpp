#include <eddy/timer/interval.hpp>

#include <stdexcept>

namespace eddy {
namespace {

using time_point = interval::time_point;
using duration = interval::duration;

time_point add_saturating(time_point t, duration d) noexcept {
  return d >= time_point::max() - t ? time_point::max() : t + d;
}

}  // namespace

interval::interval(duration period, missed_tick_policy policy)
    : interval(timer::now(), period, policy) {}

interval::interval(time_point start, duration period, missed_tick_policy policy)
    : sleep_(start), period_(period), policy_(policy) {
  if (period <= duration::zero()) throw std::invalid_argument("eddy::interval: period must be > 0");
}

polled<time_point> interval::poll_tick(context& cx) {
  if (sleep_.poll(cx).is_pending()) return pending;
  time_point scheduled = sleep_.deadline();
  time_point now = timer::now();
  time_point next = add_saturating(scheduled, period_);
  if (now >= next) {  // at least one tick was missed
    switch (policy_) {
      case missed_tick_policy::skip:
        // The first grid point after now: start + k * period > now.
        next = add_saturating(now, period_ - (now - scheduled) % period_);
        break;
      case missed_tick_policy::burst:
        break;
      case missed_tick_policy::delay:
        next = add_saturating(now, period_);
        break;
    }
  }
  sleep_.reset(next);
  return scheduled;
}

void interval::reset() noexcept { sleep_.reset(add_saturating(timer::now(), period_)); }

}  // namespace eddy
