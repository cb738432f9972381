// task.hpp: eddy::task<T>, a lazily started C++20 coroutine that is itself a future.
//
// How a chain of tasks is driven: whoever polls the outermost task (the executor,
// or a combinator such as join) owns a poll_root. Each coroutine in the chain
// points at that root.
//   - `co_await leaf` (any eddy::future) polls the leaf at once with the root's
//     context. Ready: the coroutine continues without suspending. Pending: the
//     coroutine suspends and records the leaf and itself in the root.
//   - When the task is polled again (after a wake), the root re-polls only that
//     leaf; the coroutine resumes only once the leaf is ready. A spurious wake
//     therefore costs one leaf poll and no resumption.
//   - `co_await child_task` starts the child by symmetric transfer and the child
//     transfers back on completion, so arbitrarily deep chains use no stack.
//     Symmetric transfer is only stack-safe when the compiler turns it into a tail
//     call: clang does at every optimisation level, GCC only at -O2 and not under
//     sanitizers. Elsewhere (EDDY_SYMMETRIC_TRANSFER == 0) the transfer goes
//     through the poll_root instead: the coroutine records the next one to run
//     in resume_point and returns to task::poll, which resumes it (a trampoline).
// Only futures and tasks may be awaited inside a task: an arbitrary awaitable could
// resume the coroutine from a foreign thread behind the executor's back.
//
// A task must not be moved after it was first polled (its poll_root is inside it).
#pragma once

#include <cassert>
#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <eddy/context.hpp>
#include <eddy/detail/frame_allocator.hpp>
#include <eddy/future.hpp>
#include <eddy/polled.hpp>

#ifndef EDDY_SYMMETRIC_TRANSFER
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define EDDY_SYMMETRIC_TRANSFER 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define EDDY_SYMMETRIC_TRANSFER 0
#endif
#endif
#endif
#ifndef EDDY_SYMMETRIC_TRANSFER
#if defined(__clang__)
#define EDDY_SYMMETRIC_TRANSFER 1
#else
#define EDDY_SYMMETRIC_TRANSFER 0
#endif
#endif

namespace eddy {

template <class T = void>
class task;

namespace detail {

template <class X>
struct is_task : std::false_type {};
template <class U>
struct is_task<task<U>> : std::true_type {};

/// What one call of task::poll lends the chain it drives, on its stack: the
/// context, and the exception in flight between two coroutines of the chain (a
/// leaf's poll that threw, or a child task that ended with one). At most one is
/// in flight at a time and it never outlives the poll: whoever resumes next (the
/// awaiting coroutine, or task::poll for the outermost) rethrows it at once. Kept
/// here rather than in every frame and awaiter, which saves 16 bytes per frame.
struct poll_scope {
  context* cx = nullptr;
  std::exception_ptr error;

  // Inline: it runs at every co_await's resumption; the throw is out of line.
  void rethrow_if_error() {
    if (error) [[unlikely]]
      rethrow();
  }
  [[noreturn, gnu::cold, gnu::noinline]] void rethrow() {
    std::rethrow_exception(std::exchange(error, nullptr));
  }
};

/// The driver of one chain of coroutines (see the file comment).
struct poll_root {
  /// The poll in progress (null between polls).
  poll_scope* scope = nullptr;
  /// The leaf the chain is suspended on, and how to poll it: returns true when
  /// the leaf is ready (its result then sits in the awaiter).
  void* leaf = nullptr;
  bool (*leaf_poll)(void* leaf, context& cx) noexcept = nullptr;
  /// The innermost coroutine, resumed once the leaf is ready.
  std::coroutine_handle<> resume_point{};
};

template <class F>
class leaf_awaiter {
 public:
  using output = future_output_t<F>;

  leaf_awaiter(F& f, poll_root* root) noexcept : future_(f), root_(root) {}

  bool await_ready() {
    // A throwing poll propagates straight into the awaiting coroutine.
    auto p = future_.poll(*root_->scope->cx);
    if (p.is_pending()) return false;
    store(std::move(p));
    return true;
  }

  void await_suspend(std::coroutine_handle<> h) noexcept {
    root_->leaf = this;
    root_->leaf_poll = &repoll;
    root_->resume_point = h;
  }

  output await_resume() {
    root_->scope->rethrow_if_error();
    if constexpr (!std::is_void_v<output>) return std::move(*value_);
  }

 private:
  // Called by the poll_root's owner, outside the coroutine body: an exception is
  // kept in the poll_scope and rethrown inside the coroutine by await_resume.
  static bool repoll(void* self, context& cx) noexcept {
    auto* a = static_cast<leaf_awaiter*>(self);
    try {
      auto p = a->future_.poll(cx);
      if (p.is_pending()) return false;
      a->store(std::move(p));
    } catch (...) {
      a->root_->scope->error = std::current_exception();
    }
    return true;
  }

  void store(polled<output>&& p) {
    if constexpr (!std::is_void_v<output>) value_.emplace(std::move(p).value());
  }

  struct empty {};
  F& future_;
  poll_root* root_;
  [[no_unique_address]] std::conditional_t<std::is_void_v<output>, empty, std::optional<output>>
      value_;
};

class promise_base {
 public:
  static void* operator new(std::size_t n) { return frame_alloc(n); }
  static void operator delete(void* p, std::size_t n) noexcept { frame_free(p, n); }

  std::suspend_always initial_suspend() noexcept { return {}; }

  struct final_awaiter {
    bool await_ready() noexcept { return false; }
#if EDDY_SYMMETRIC_TRANSFER
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      std::coroutine_handle<> next = h.promise().continuation_;
      return next ? next : std::noop_coroutine();
    }
#else
    template <class P>
    void await_suspend(std::coroutine_handle<P> h) noexcept {
      // The outermost coroutine has no continuation: task::poll sees it done.
      promise_base& p = h.promise();
      if (p.continuation_) p.root_->resume_point = p.continuation_;
    }
#endif
    void await_resume() noexcept {}
  };
  final_awaiter final_suspend() noexcept { return {}; }

  // The exception goes to the poll_scope: the next coroutine to run rethrows it.
  void unhandled_exception() noexcept { root_->scope->error = std::current_exception(); }

  template <class F>
  requires future<std::remove_reference_t<F>> &&(!is_task<std::remove_cvref_t<F>>::value)
      leaf_awaiter<std::remove_reference_t<F>> await_transform(F&& f) noexcept {
    return {f, root_};
  }

  template <class U>
  auto await_transform(task<U>&& t) noexcept;
  template <class U>
  auto await_transform(task<U>& t) noexcept;

  template <class A>
  requires(!future<std::remove_reference_t<A>>) A && await_transform(A&& a)
  noexcept {
    static_assert(future<std::remove_reference_t<A>>,
                  "eddy::task can only co_await eddy futures and tasks");
    return std::forward<A>(a);
  }

 protected:
  template <class U>
  friend class eddy::task;
  template <class U>
  friend class task_awaiter;

  poll_root* root_ = nullptr;
  std::coroutine_handle<> continuation_{};
};

template <class T>
class promise final : public promise_base {
 public:
  task<T> get_return_object() noexcept;
  template <class U = T>
  requires std::is_convertible_v<U&&, T>
  void return_value(U&& v) { value_.emplace(std::forward<U>(v)); }
  /// Precondition: the caller has rethrown the poll_scope's error, if any. A
  /// reference, so that poll() moves the value once, straight into its polled<T>.
  T&& take_result() noexcept { return std::move(*value_); }
  T& value() noexcept { return *value_; }

 private:
  std::optional<T> value_;
};

template <>
class promise<void> final : public promise_base {
 public:
  task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void take_result() noexcept {}
};

template <class U>
class task_awaiter {
 public:
  task_awaiter(std::coroutine_handle<promise<U>> child, poll_root* root) noexcept
      : child_(child), root_(root) {}
  bool await_ready() noexcept { return false; }
#if EDDY_SYMMETRIC_TRANSFER
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> parent) noexcept {
    child_.promise().root_ = root_;
    child_.promise().continuation_ = parent;
    return child_;  // a tail call: no stack growth
  }
#else
  void await_suspend(std::coroutine_handle<> parent) noexcept {
    child_.promise().root_ = root_;
    child_.promise().continuation_ = parent;
    root_->resume_point = child_;  // task::poll resumes it (trampoline)
  }
#endif
  U await_resume() {
    root_->scope->rethrow_if_error();
    return child_.promise().take_result();
  }

 private:
  std::coroutine_handle<promise<U>> child_;
  poll_root* root_;
};

}  // namespace detail

template <class T>
class [[nodiscard]] task {
 public:
  using promise_type = detail::promise<T>;
  using handle_type = std::coroutine_handle<promise_type>;

  task() noexcept = default;
  explicit task(handle_type h) noexcept : handle_(h) {}
  task(task&& o) noexcept : handle_(std::exchange(o.handle_, {})) {
    assert(!o.root_.resume_point && "a task must not be moved after its first poll");
  }
  task& operator=(task&& o) noexcept {
    if (this != &o) {
      assert(!o.root_.resume_point && "a task must not be moved after its first poll");
      reset();
      handle_ = std::exchange(o.handle_, {});
    }
    return *this;
  }
  ~task() { reset(); }

  /// Polls the task as a future: runs it until it completes or suspends on a
  /// pending leaf. Rethrows the task's exception when it completes with one.
  polled<T> poll(context& cx) {
    if (!poll_keep(cx)) return pending;
    if constexpr (std::is_void_v<T>) {
      return ready();
    } else {
      return handle_.promise().take_result();
    }
  }

  /// poll() that leaves the value in the task: true when the task completed,
  /// and then value() is its value until reset(). A caller that only reads the
  /// value (or moves parts of it) saves moving all of it out.
  bool poll_keep(context& cx) {
    assert(handle_ && !handle_.done() && "poll of an empty or finished task");
    detail::poll_root& r = root_;
    // The scope lives for this call only; a leaf's exception lands in it.
    detail::poll_scope scope{&cx, nullptr};
    r.scope = &scope;
    struct unset {
      detail::poll_root& r;
      ~unset() { r.scope = nullptr; }
    } guard{r};
    if (r.leaf_poll) {
      if (!r.leaf_poll(r.leaf, cx)) return false;
      r.leaf_poll = nullptr;
    } else if (!r.resume_point) {
      handle_.promise().root_ = &r;
      r.resume_point = handle_;
    }
    // With symmetric transfer this runs once; as a trampoline, once per transfer.
    do {
      r.resume_point.resume();
    } while (!r.leaf_poll && !handle_.done());
    if (!handle_.done()) {
      assert(r.leaf_poll && "a task suspended without a pending leaf");
      assert(!scope.error && "an exception outlived the resumption that should rethrow it");
      return false;
    }
    scope.rethrow_if_error();
    return true;
  }

  /// The value of a task poll_keep() saw complete.
  template <class U = T>
  requires(!std::is_void_v<U>) U& value() noexcept {
    assert(handle_ && handle_.done());
    return handle_.promise().value();
  }

  /// Destroys the coroutine frame (wherever it is suspended; its locals'
  /// destructors run).
  void reset() noexcept {
    if (handle_) std::exchange(handle_, {}).destroy();
    root_ = {};
  }

  [[nodiscard]] bool valid() const noexcept { return static_cast<bool>(handle_); }
  [[nodiscard]] bool done() const noexcept { return handle_ && handle_.done(); }

 private:
  friend class detail::promise_base;
  handle_type handle_{};
  detail::poll_root root_{};
};

namespace detail {

template <class T>
task<T> promise<T>::get_return_object() noexcept {
  return task<T>(std::coroutine_handle<promise<T>>::from_promise(*this));
}
inline task<void> promise<void>::get_return_object() noexcept {
  return task<void>(std::coroutine_handle<promise<void>>::from_promise(*this));
}

template <class U>
auto promise_base::await_transform(task<U>&& t) noexcept {
  return task_awaiter<U>(t.handle_, root_);
}
template <class U>
auto promise_base::await_transform(task<U>& t) noexcept {
  return task_awaiter<U>(t.handle_, root_);
}

}  // namespace detail
}  // namespace eddy
