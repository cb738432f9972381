// future.hpp: the Future concept. A leaf future is any object with
// `polled<T> poll(context&)`; returning pending means it has stored the context's
// waker and will wake it when polling again can make progress. There is no busy
// polling: a future that returns pending without arranging a wake-up hangs its task.
#pragma once

#include <concepts>
#include <type_traits>

#include <eddy/context.hpp>
#include <eddy/polled.hpp>

namespace eddy {

namespace detail {
template <class P>
struct polled_value;
template <class T>
struct polled_value<polled<T>> {
  using type = T;
};
}  // namespace detail

template <class F>
concept future = requires(F& f, context& cx) {
  typename detail::polled_value<std::remove_cvref_t<decltype(f.poll(cx))>>::type;
};

/// The T of a future's polled<T>.
template <future F>
using future_output_t = typename detail::polled_value<
    std::remove_cvref_t<decltype(std::declval<F&>().poll(std::declval<context&>()))>>::type;

}  // namespace eddy
