// join_handle.hpp: the owner's side of a spawned task. Awaiting it yields the
// task's value or rethrows its exception; a task that was cancelled (abort(), or
// its runtime shut down) throws eddy::task_cancelled, so "cancelled" and "threw"
// stay distinguishable. Dropping the handle detaches the task.
//
// Thread safety: a join_handle may be awaited, aborted or dropped from any thread,
// but one join_handle is used by one thread at a time.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <exception>
#include <memory>
#include <system_error>
#include <type_traits>
#include <utility>

#include <eddy/context.hpp>
#include <eddy/detail/frame_allocator.hpp>
#include <eddy/detail/task_header.hpp>
#include <eddy/error.hpp>
#include <eddy/future.hpp>
#include <eddy/polled.hpp>
#include <eddy/task.hpp>

namespace eddy {

/// Thrown when awaiting the join_handle of a task that was cancelled.
class task_cancelled : public std::system_error {
 public:
  task_cancelled() : std::system_error(make_error_code(errc::cancelled), "task cancelled") {}
};

namespace detail {

/// A spawned future: header, then the future it runs or, once it has finished,
/// its output, in the same bytes: the future (for a task, its handle and
/// poll_root) is destroyed before the output is stored, so the cell is no larger
/// than the larger of the two. outcome_ says which member of the union is alive:
/// none -> future_, value -> value_, exception -> error_, cancelled -> nothing.
///
/// Every cell with output T puts its union at output_offset<T>, whatever F: the
/// join_handle<T>, which does not know F, finds the output there. So F may not be
/// more aligned than the output (an over-aligned future can be awaited by a task
/// that is spawned instead).
template <class T>
struct value_holder {
  struct empty_value {};
  template <class... A>
  explicit value_holder(A&&... a) : v(std::forward<A>(a)...) {}
  [[no_unique_address]] std::conditional_t<std::is_void_v<T>, empty_value, T> v;
};

template <class T>
inline constexpr std::size_t output_align = std::max(alignof(value_holder<T>),
                                                     alignof(std::exception_ptr));
template <class T>
inline constexpr std::size_t output_offset =
    (sizeof(task_header) + output_align<T> - 1) / output_align<T>* output_align<T>;

template <class F>
class future_cell final : public task_header {
 public:
  using output_type = future_output_t<F>;
  static_assert(alignof(F) <= output_align<output_type>,
                "a future more aligned than its output: spawn a task that awaits it");

  explicit future_cell(F&& f) noexcept(std::is_nothrow_move_constructible_v<F>)
      : task_header(&vtable), future_(std::move(f)) {}
  future_cell(const future_cell&) = delete;
  future_cell& operator=(const future_cell&) = delete;
  ~future_cell() {
    switch (outcome_) {
      case outcome::none:
        future_.~F();
        break;
      case outcome::value:
        value_.~value_holder();
        break;
      case outcome::exception:
        error_.~exception_ptr();
        break;
      case outcome::cancelled:
        break;
    }
  }

  static future_cell* create(F&& f) {
    void* mem = nullptr;
    if constexpr (alignof(future_cell) <= cell_align) {
      mem = cell_alloc(sizeof(future_cell));  // 8-byte size classes
    } else {
      mem = frame_alloc(sizeof(future_cell));  // over-aligned: 16-byte aligned
    }
    if constexpr (std::is_nothrow_move_constructible_v<F>) {
      auto* cell = new (mem) future_cell(std::move(f));
      assert(reinterpret_cast<char*>(&cell->value_) - reinterpret_cast<char*>(cell) ==
             static_cast<std::ptrdiff_t>(output_offset<output_type>));
      return cell;
    } else {
      try {
        return new (mem) future_cell(std::move(f));
      } catch (...) {
        free_memory(mem);
        throw;
      }
    }
  }

 private:
  static void free_memory(void* mem) noexcept {
    if constexpr (alignof(future_cell) <= cell_align) {
      cell_free(mem, sizeof(future_cell));
    } else {
      frame_free(mem, sizeof(future_cell));
    }
  }

  static bool poll(task_header* h, context& cx) noexcept {
    auto* self = static_cast<future_cell*>(h);
    try {
      auto p = self->future_.poll(cx);
      if (p.is_pending()) return false;
      // Free the future (a task's frame) now, not when the last waker goes; then
      // the bytes are free for the value. `cancelled` (nothing alive) until the
      // value is in place.
      self->future_.~F();
      self->outcome_ = outcome::cancelled;
      if constexpr (std::is_void_v<output_type>) {
        std::construct_at(&self->value_);
      } else {
        std::construct_at(&self->value_, std::move(p).value());
      }
      self->outcome_ = outcome::value;
    } catch (...) {
      if (self->outcome_ == outcome::none) self->future_.~F();
      std::construct_at(&self->error_, std::current_exception());
      self->outcome_ = outcome::exception;
    }
    return true;
  }

  static void cancel(task_header* h) noexcept {
    auto* self = static_cast<future_cell*>(h);
    if (self->outcome_ != outcome::none) return;  // finished already: keep its output
    self->future_.~F();
    self->outcome_ = outcome::cancelled;
  }

  static void dealloc(task_header* h) noexcept {
    auto* self = static_cast<future_cell*>(h);
    if (self->outcome_ == outcome::exception && !self->output_taken_)
      report_unobserved(self->error_);
    scheduler* s = self->scheduler_;
    self->~future_cell();
    free_memory(self);
    if (s) s->release_cell();
  }

  static constexpr task_vtable vtable{&poll, &cancel, &dealloc};

  union {
    F future_;
    value_holder<output_type> value_;
    std::exception_ptr error_;
  };
};

/// The cell of a spawned task<T>.
template <class T>
using task_cell = future_cell<task<T>>;

/// The output of a task that threw or was cancelled; `out` is its union.
[[noreturn, gnu::noinline]] inline void throw_failed_output(task_header* h, void* out) {
  if (h->outcome_ == outcome::exception)
    std::rethrow_exception(std::exchange(*static_cast<std::exception_ptr*>(out), nullptr));
  throw task_cancelled();
}

/// A finished cell's output. Precondition: `complete` observed with acquire
/// ordering (invariant 5); called once.
template <class T>
T take_output(task_header* h) {
  assert(!h->output_taken_);
  h->output_taken_ = true;
  void* out = reinterpret_cast<char*>(h) + output_offset<T>;
  if (h->outcome_ != outcome::value) [[unlikely]]
    throw_failed_output(h, out);
  if constexpr (!std::is_void_v<T>) return std::move(static_cast<value_holder<T>*>(out)->v);
}

/// The join side of the header protocol, shared by every T.
/// Returns true when the task is complete (the output may be taken).
bool join_poll(task_header* h, context& cx) noexcept;
void join_abort(task_header* h) noexcept;
void join_detach(task_header* h) noexcept;

}  // namespace detail

template <class T = void>
class [[nodiscard]] join_handle {
 public:
  join_handle() noexcept = default;
  /// Takes the join reference of a cell whose output is T.
  explicit join_handle(detail::task_header* cell) noexcept : cell_(cell) {}
  join_handle(join_handle&& o) noexcept : cell_(std::exchange(o.cell_, nullptr)) {}
  join_handle& operator=(join_handle&& o) noexcept {
    if (this != &o) {
      detach();
      cell_ = std::exchange(o.cell_, nullptr);
    }
    return *this;
  }
  ~join_handle() { detach(); }

  /// Ready with the task's output once it has finished. Rethrows the task's
  /// exception; throws task_cancelled if it was cancelled. Poll once ready only once.
  polled<T> poll(context& cx) {
    assert(cell_ && "poll of an empty join_handle");
    if (!detail::join_poll(cell_, cx)) return pending;
    if constexpr (std::is_void_v<T>) {
      detail::take_output<void>(cell_);
      return ready();
    } else {
      return detail::take_output<T>(cell_);
    }
  }

  /// Requests cancellation: the task's frame is destroyed at its suspension point
  /// by its executor (destructors of its locals run). No effect once finished.
  void abort() noexcept {
    if (cell_) detail::join_abort(cell_);
  }

  [[nodiscard]] bool is_finished() const noexcept {
    return cell_ && (cell_->state_.load(std::memory_order_acquire) & detail::state::complete);
  }

  /// Lets the task run on without an owner.
  void detach() noexcept {
    if (cell_) detail::join_detach(std::exchange(cell_, nullptr));
  }

  [[nodiscard]] bool valid() const noexcept { return cell_ != nullptr; }

 private:
  detail::task_header* cell_ = nullptr;
};

}  // namespace eddy
