#include <eddy/runtime.hpp>

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "test_futures.hpp"

namespace eddy {
namespace {

task<int> forty_two() { co_return 42; }

task<int> add_one(int depth) {
  if (depth == 0) co_return 0;
  co_return co_await add_one(depth - 1) + 1;
}

TEST(Task, ReturnsValueThroughBlockOn) { EXPECT_EQ(block_on(forty_two()), 42); }

TEST(Task, VoidTask) {
  int ran = 0;
  auto t = [](int& r) -> task<> {
    ++r;
    co_return;
  };
  block_on(t(ran));
  EXPECT_EQ(ran, 1);
}

TEST(Task, NestedAwaitsReturnValues) { EXPECT_EQ(block_on(add_one(100)), 100); }

// A chain of 1,000,000 nested co_awaits: symmetric transfer keeps the stack flat in
// both directions (descending into children and returning to parents).
TEST(Task, MillionNestedAwaitsDoNotOverflowTheStack) {
  EXPECT_EQ(block_on(add_one(1'000'000)), 1'000'000);
}

TEST(Task, ReadyLeafDoesNotSuspend) {
  test::manual_event ev;
  ev.set = true;
  auto t = [](test::manual_event& e) -> task<int> {
    co_await e.wait();
    co_await e.wait();
    co_return 7;
  };
  EXPECT_EQ(block_on(t(ev)), 7);
  EXPECT_EQ(ev.polls, 2);
}

// A wake that does not make the leaf ready re-polls the leaf only: the coroutine
// body after the co_await does not run until the leaf is ready.
TEST(Task, SpuriousWakeRepollsLeafWithoutResuming) {
  test::manual_event ev;
  int resumed = 0;
  auto body = [](test::manual_event& e, int& r) -> task<> {
    co_await e.wait();
    ++r;
  };
  task<> t = body(ev, resumed);
  test::counting_waker cw;
  {
    waker w = cw.make();
    context cx(w);
    EXPECT_TRUE(t.poll(cx).is_pending());
    EXPECT_EQ(ev.polls, 1);
    ev.spurious_wake();
    EXPECT_TRUE(t.poll(cx).is_pending());
    EXPECT_EQ(ev.polls, 2);
    EXPECT_EQ(resumed, 0);
    ev.fire();
    EXPECT_TRUE(t.poll(cx).is_ready());
    EXPECT_EQ(ev.polls, 3);
    EXPECT_EQ(resumed, 1);
  }
  ev.stored.reset();
  EXPECT_EQ(cw.live(), 0);
  EXPECT_EQ(cw.wakes, 2);
}

// poll_keep() leaves the value in the task: value() is the object the body
// returned, still there after a further look and movable from, until reset().
TEST(Task, PollKeepLeavesTheValueInTheTask) {
  test::manual_event ev;
  auto body = [](test::manual_event& e) -> task<std::string> {
    co_await e.wait();
    co_return std::string(40, 'x');  // longer than any small-string buffer
  };
  task<std::string> t = body(ev);
  test::counting_waker cw;
  {
    waker w = cw.make();
    context cx(w);
    EXPECT_FALSE(t.poll_keep(cx));
    ev.fire();
    ASSERT_TRUE(t.poll_keep(cx));
    EXPECT_TRUE(t.done());
    const char* bytes = t.value().data();
    EXPECT_EQ(t.value(), std::string(40, 'x'));
    std::string taken = std::move(t.value());
    EXPECT_EQ(taken.data(), bytes);  // moved out of the task, never copied
    t.reset();
    EXPECT_FALSE(t.valid());
  }
  ev.stored.reset();
  EXPECT_EQ(cw.live(), 0);
}

TEST(Task, PollKeepRethrowsTheTasksException) {
  auto thrower = []() -> task<int> {
    throw std::runtime_error("kept");
    co_return 1;
  };
  task<int> t = thrower();
  test::counting_waker cw;
  waker w = cw.make();
  context cx(w);
  EXPECT_THROW((void)t.poll_keep(cx), std::runtime_error);
  EXPECT_TRUE(t.done());
}

TEST(Task, ExceptionPropagatesToAwaiter) {
  auto thrower = []() -> task<int> {
    throw std::runtime_error("boom");
    co_return 1;
  };
  auto catcher = [&]() -> task<std::string> {
    try {
      co_await thrower();
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
    co_return "no exception";
  };
  EXPECT_EQ(block_on(catcher()), "boom");
}

TEST(Task, LeafExceptionAfterSuspensionReachesCoroutine) {
  struct throw_on_second_poll {
    int polls = 0;
    waker w;
    polled<int> poll(context& cx) {
      if (++polls == 2) throw std::logic_error("second poll");
      w = cx.waker();
      w.wake_by_ref();
      return pending;
    }
  };
  auto t = []() -> task<std::string> {
    throw_on_second_poll f;
    try {
      co_await f;
    } catch (const std::logic_error& e) {
      co_return e.what();
    }
    co_return "none";
  };
  EXPECT_EQ(block_on(t()), "second poll");
}

// Exceptions travel through the poll in progress, not the frames: one caught
// halfway must leave nothing behind, and the next one must still surface.
TEST(Task, ExceptionsAfterACaughtOneStillReachTheirAwaiter) {
  struct throw_on_second_poll {
    int polls = 0;
    waker w;
    polled<int> poll(context& cx) {
      if (++polls == 2) throw std::logic_error("leaf");
      w = cx.waker();
      w.wake_by_ref();
      return pending;
    }
  };
  auto inner = []() -> task<int> {
    throw_on_second_poll f;
    co_return co_await f;  // throws "leaf" after one suspension
  };
  auto middle = [&]() -> task<int> {
    int caught = 0;
    try {
      co_await inner();
    } catch (const std::logic_error&) {
      ++caught;
    }
    throw_on_second_poll g;  // suspends again after the caught exception
    try {
      co_await g;
    } catch (const std::logic_error&) {
      ++caught;
    }
    if (caught == 2) throw std::runtime_error("outer");
    co_return caught;
  };
  auto outer = [&]() -> task<std::string> {
    try {
      co_await middle();
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
    co_return "none";
  };
  EXPECT_EQ(block_on(outer()), "outer");
  EXPECT_THROW(block_on(middle()), std::runtime_error);
}

TEST(Task, DestroyingUnstartedTaskRunsNoBody) {
  int ran = 0;
  {
    auto body = [](int& r) -> task<> {
      ++r;
      co_return;
    };
    task<> t = body(ran);
  }
  EXPECT_EQ(ran, 0);
}

}  // namespace
}  // namespace eddy
