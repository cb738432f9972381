// join.hpp: join(a, b, ...) waits for several futures (tasks included) at once and
// yields all their outputs as a tuple; select(a, b, ...) yields the first one
// ready and cancels the others. The futures run concurrently inside the awaiting
// task (no spawn): when that task is woken, each unfinished future is polled
// again; a task future re-polls only the leaf it waits on.
//
// An exception from any future propagates out of the join or select at once; the
// other futures are destroyed with it. `void` outputs appear as std::monostate.
#pragma once

#include <cstddef>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

#include <eddy/context.hpp>
#include <eddy/future.hpp>
#include <eddy/polled.hpp>

namespace eddy {

namespace detail {

template <class T>
using value_or_unit = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

template <future F>
using unit_output_t = value_or_unit<future_output_t<F>>;

/// Polls `f`; on ready stores its output (void as monostate) into `out`.
template <class F, class Out>
bool poll_into(F& f, context& cx, Out& out) {
  auto p = f.poll(cx);
  if (p.is_pending()) return false;
  if constexpr (std::is_void_v<future_output_t<F>>)
    out.emplace();
  else
    out.emplace(std::move(p).value());
  return true;
}

}  // namespace detail

template <future... Fs>
class join_future {
 public:
  using output = std::tuple<detail::unit_output_t<Fs>...>;

  explicit join_future(Fs&&... fs) : futures_(std::move(fs)...) {}

  polled<output> poll(context& cx) {
    bool all = true;
    poll_each(cx, all, std::index_sequence_for<Fs...>{});
    if (!all) return pending;
    return std::apply([](auto&... o) { return output(std::move(*o)...); }, outputs_);
  }

 private:
  template <std::size_t... I>
  void poll_each(context& cx, bool& all, std::index_sequence<I...>) {
    (poll_one<I>(cx, all), ...);
  }
  template <std::size_t I>
  void poll_one(context& cx, bool& all) {
    auto& f = std::get<I>(futures_);
    auto& out = std::get<I>(outputs_);
    if (!out) {
      if (detail::poll_into(*f, cx, out))
        f.reset();  // done: release its resources now
      else
        all = false;
    }
  }

  std::tuple<std::optional<Fs>...> futures_;
  std::tuple<std::optional<detail::unit_output_t<Fs>>...> outputs_;
};

/// Waits for every future; yields std::tuple of their outputs.
template <class... Fs>
requires(future<std::remove_cvref_t<Fs>>&&...)
    [[nodiscard]] join_future<std::remove_cvref_t<Fs>...> join(Fs&&... fs) {
  return join_future<std::remove_cvref_t<Fs>...>(std::forward<Fs>(fs)...);
}

template <future... Fs>
class select_future {
 public:
  /// The variant's index tells which future finished first.
  using output = std::variant<detail::unit_output_t<Fs>...>;

  explicit select_future(Fs&&... fs) : futures_(std::move(fs)...) {}

  polled<output> poll(context& cx) {
    std::optional<output> out;
    poll_each(cx, out, std::index_sequence_for<Fs...>{});
    if (!out) return pending;
    // The losers are cancelled now, not when the select is destroyed.
    std::apply([](auto&... f) { (f.reset(), ...); }, futures_);
    return std::move(*out);
  }

 private:
  template <std::size_t... I>
  void poll_each(context& cx, std::optional<output>& out, std::index_sequence<I...>) {
    // Stops at the first ready future (left to right).
    (void)(poll_one<I>(cx, out) || ...);
  }
  template <std::size_t I>
  bool poll_one(context& cx, std::optional<output>& out) {
    auto& f = std::get<I>(futures_);
    if (!f) return false;
    std::optional<std::variant_alternative_t<I, output>> v;
    if (!detail::poll_into(*f, cx, v)) return false;
    out.emplace(std::in_place_index<I>, std::move(*v));
    return true;
  }

  std::tuple<std::optional<Fs>...> futures_;
};

/// Waits for the first future to finish; yields a std::variant whose index says
/// which one, and cancels (destroys) the others.
template <class... Fs>
requires(future<std::remove_cvref_t<Fs>>&&...)
    [[nodiscard]] select_future<std::remove_cvref_t<Fs>...> select(Fs&&... fs) {
  return select_future<std::remove_cvref_t<Fs>...>(std::forward<Fs>(fs)...);
}

}  // namespace eddy
