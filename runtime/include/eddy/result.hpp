// result.hpp: eddy's one error currency: a value or a std::error_code. The I/O hot
// path returns these instead of throwing.
#pragma once

#include <cassert>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace eddy {

template <class T>
class [[nodiscard]] result {
 public:
  using value_type = T;

  template <class U = T>
  requires std::is_constructible_v<T, U&&> &&
      (!std::is_same_v<std::remove_cvref_t<U>, std::error_code>)&&(
          !std::is_same_v<std::remove_cvref_t<U>, result>)result(U&& v)
      : v_(std::in_place_index<0>, std::forward<U>(v)) {}
  result(std::error_code ec) noexcept : v_(std::in_place_index<1>, ec) { assert(ec); }
  template <class E>
  requires std::is_error_code_enum_v<E> result(E e)
  noexcept : result(std::error_code(make_error_code(e))) {}

  [[nodiscard]] bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & {
    if (!has_value()) throw std::system_error(error());
    return *std::get_if<0>(&v_);
  }
  const T& value() const& {
    if (!has_value()) throw std::system_error(error());
    return *std::get_if<0>(&v_);
  }
  T&& value() && { return std::move(value()); }

  T& operator*() & noexcept { return *std::get_if<0>(&v_); }
  const T& operator*() const& noexcept { return *std::get_if<0>(&v_); }
  T&& operator*() && noexcept { return std::move(*std::get_if<0>(&v_)); }
  T* operator->() noexcept { return std::get_if<0>(&v_); }
  const T* operator->() const noexcept { return std::get_if<0>(&v_); }

  /// The error, or an empty error_code when there is a value.
  [[nodiscard]] std::error_code error() const noexcept {
    auto* e = std::get_if<1>(&v_);
    return e ? *e : std::error_code{};
  }

 private:
  std::variant<T, std::error_code> v_;
};

template <>
class [[nodiscard]] result<void> {
 public:
  using value_type = void;
  result() noexcept = default;
  result(std::error_code ec) noexcept
      : value_(ec.value()), category_(ec ? &ec.category() : nullptr) {}
  template <class E>
  requires std::is_error_code_enum_v<E> result(E e)
  noexcept : result(std::error_code(make_error_code(e))) {}

  [[nodiscard]] bool has_value() const noexcept { return category_ == nullptr; }
  explicit operator bool() const noexcept { return has_value(); }
  void value() const {
    if (category_) throw std::system_error(error());
  }
  [[nodiscard]] std::error_code error() const noexcept {
    return category_ ? std::error_code(value_, *category_) : std::error_code{};
  }

 private:
  // Not a std::error_code: its default constructor calls std::system_category()
  // out of line, and every successful operation would pay for that call.
  int value_ = 0;
  const std::error_category* category_ = nullptr;  // null: success
};

}  // namespace eddy
