// ring.hpp: the FIFO storage of a channel: a ring of raw slots. A bounded channel
// allocates it once at its capacity; an unbounded one grows it by doubling
// (amortised: no allocation per message once it is large enough).
// Not synchronised: the owning channel's lock guards it.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace eddy::sync::detail {

template <class T>
class ring {
  static_assert(std::is_nothrow_move_constructible_v<T>,
                "channel values must be nothrow move constructible");

 public:
  explicit ring(std::size_t capacity) : buf_(allocate(capacity)), cap_(capacity) {}
  ring(const ring&) = delete;
  ring& operator=(const ring&) = delete;
  ~ring() {
    clear();
    deallocate(buf_, cap_);
  }

  [[nodiscard]] std::size_t size() const noexcept { return len_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return cap_; }
  [[nodiscard]] bool empty() const noexcept { return len_ == 0; }
  [[nodiscard]] bool full() const noexcept { return len_ == cap_; }

  /// Precondition: !full().
  template <class... A>
  void push(A&&... a) {
    std::size_t i = head_ + len_;
    if (i >= cap_) i -= cap_;
    ::new (static_cast<void*>(buf_ + i)) T(std::forward<A>(a)...);
    ++len_;
  }

  /// Precondition: !empty().
  T pop() noexcept {
    T* p = buf_ + head_;
    T v(std::move(*p));
    p->~T();
    if (++head_ == cap_) head_ = 0;
    --len_;
    return v;
  }

  void clear() noexcept {
    while (len_ != 0) (void)pop();
  }

  /// Moves the values into `fresh` (capacity `cap` > size()) and returns the old
  /// buffer for the caller to free outside its lock.
  std::pair<T*, std::size_t> relocate(T* fresh, std::size_t cap) noexcept {
    for (std::size_t k = 0; k < len_; ++k) {
      std::size_t i = head_ + k;
      if (i >= cap_) i -= cap_;
      ::new (static_cast<void*>(fresh + k)) T(std::move(buf_[i]));
      buf_[i].~T();
    }
    head_ = 0;
    return {std::exchange(buf_, fresh), std::exchange(cap_, cap)};
  }

  static T* allocate(std::size_t n) { return std::allocator<T>().allocate(n); }
  static void deallocate(T* p, std::size_t n) noexcept { std::allocator<T>().deallocate(p, n); }

 private:
  T* buf_;
  std::size_t cap_;
  std::size_t head_ = 0;
  std::size_t len_ = 0;
};

}  // namespace eddy::sync::detail
