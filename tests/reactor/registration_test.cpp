// registration_test.cpp: the readiness protocol of one registration, driven by hand
// with a counting waker (no executor): initial readiness, edge-triggered clearing,
// the tick rule, generations and stale events, dropping with events pending.
#include <gtest/gtest.h>
#include <eddy/reactor/reactor.hpp>
#include <eddy/reactor/registration.hpp>

#include <chrono>
#include <memory>
#include <vector>

#include <fcntl.h>
#include <eddy/error.hpp>

#include "reactor/src/io_slot.hpp"
#include "reactor/src/reactor_impl.hpp"
#include "tests/reactor/counting_waker.hpp"
#include "tests/reactor/socket_pair.hpp"

namespace eddy {
namespace {

using namespace std::chrono_literals;
using test::counting_waker;
using test::socket_pair;

class Registration : public ::testing::Test {
 protected:
  void TearDown() override { EXPECT_EQ(r.registration_count(), 0u); }

  io_registration open(int fd) {
    auto reg = io_registration::open(r, fd);
    EXPECT_TRUE(reg.has_value()) << reg.error().message();
    return std::move(*reg);
  }

  /// Polls `d` with w: pending means the waker is stored.
  bool poll_pending(io_registration& reg, io_direction d, counting_waker& cw) {
    waker w = cw.make();
    context cx(w);
    return reg.poll_ready(cx, d).is_pending();
  }

  reactor r;
};

TEST_F(Registration, OpenAndResetCount) {
  socket_pair p;
  {
    auto a = open(p.a);
    auto b = open(p.b);
    EXPECT_EQ(r.registration_count(), 2u);
    EXPECT_EQ(a.fd(), p.a);
    b.reset();
    EXPECT_FALSE(b.registered());
    EXPECT_EQ(r.registration_count(), 1u);
    io_registration moved = std::move(a);
    EXPECT_FALSE(a.registered());  // NOLINT(bugprone-use-after-move): moved-from is empty
    EXPECT_TRUE(moved.registered());
  }
  EXPECT_EQ(r.registration_count(), 0u);
}

TEST_F(Registration, RegisteringAnUnpollableFdFails) {
  // epoll refuses regular files (EPERM): the error comes back, no slot leaks.
  int fd = ::open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  auto reg = io_registration::open(r, fd);
  EXPECT_FALSE(reg.has_value());
  EXPECT_EQ(r.registration_count(), 0u);
  ::close(fd);
}

TEST_F(Registration, OpenWithoutRuntimeIsNoRuntime) {
  socket_pair p;
  auto reg = io_registration::open(p.a);
  ASSERT_FALSE(reg.has_value());
  EXPECT_EQ(reg.error(), make_error_code(errc::no_runtime));
}

TEST_F(Registration, FreshRegistrationIsReadyBothWays) {
  socket_pair p;
  auto reg = open(p.a);
  counting_waker cw;
  EXPECT_FALSE(poll_pending(reg, io_direction::read, cw));
  EXPECT_FALSE(poll_pending(reg, io_direction::write, cw));
  EXPECT_EQ(cw.refs(), 0);  // ready at once: nothing stored
}

TEST_F(Registration, EagainClearsThenEdgeWakesOnce) {
  socket_pair p;
  auto reg = open(p.a);
  counting_waker cw;
  waker w = cw.make();
  context cx(w);

  auto ready = reg.poll_ready(cx, io_direction::read);
  ASSERT_TRUE(ready.is_ready());
  ASSERT_EQ(test::drain(p.a), -1);  // EAGAIN
  reg.clear_ready(ready.value(), io_direction::read);
  EXPECT_TRUE(reg.poll_ready(cx, io_direction::read).is_pending());
  // Writable was not cleared by a read's EAGAIN.
  EXPECT_TRUE(reg.poll_ready(cx, io_direction::write).is_ready());

  r.turn(0ns);  // the initial edge (writable) wakes no reader
  EXPECT_EQ(cw.wakes(), 0);
  EXPECT_TRUE(reg.poll_ready(cx, io_direction::read).is_pending());

  ASSERT_TRUE(test::put_byte(p.b));
  EXPECT_EQ(r.turn(1s), 1u);
  EXPECT_EQ(cw.wakes(), 1);
  auto again = reg.poll_ready(cx, io_direction::read);
  ASSERT_TRUE(again.is_ready());
  EXPECT_TRUE(again.value().is_readable());
  EXPECT_EQ(test::drain(p.a), 1);

  // Edge-triggered: no new data, no new event, no second wake.
  EXPECT_EQ(r.turn(0ns), 0u);
  EXPECT_EQ(cw.wakes(), 1);
}

TEST_F(Registration, ClearNeverHidesAFresherEvent) {
  socket_pair p;
  auto reg = open(p.a);
  counting_waker cw;
  waker w = cw.make();
  context cx(w);
  // Settle: consume the registration's first edge.
  auto first = reg.poll_ready(cx, io_direction::read);
  ASSERT_TRUE(first.is_ready());
  reg.clear_ready(first.value(), io_direction::read);
  r.turn(0ns);

  ASSERT_TRUE(test::put_byte(p.b));
  r.turn(1s);
  auto seen = reg.poll_ready(cx, io_direction::read);
  ASSERT_TRUE(seen.is_ready());
  // A task read with the old snapshot, got EAGAIN (pretend: data raced away), and
  // meanwhile a new byte arrived and was dispatched with a newer tick.
  ASSERT_EQ(test::drain(p.a), 1);
  ASSERT_TRUE(test::put_byte(p.b));
  r.turn(1s);
  reg.clear_ready(seen.value(), io_direction::read);
  // The stale clear must not have erased the new readiness.
  auto after = reg.poll_ready(cx, io_direction::read);
  ASSERT_TRUE(after.is_ready());
  EXPECT_NE(after.value().tick, seen.value().tick);
  reg.clear_ready(after.value(), io_direction::read);
  EXPECT_EQ(test::drain(p.a), 1);
}

TEST_F(Registration, ClearWithCurrentTickClears) {
  socket_pair p;
  auto reg = open(p.a);
  counting_waker cw;
  waker w = cw.make();
  context cx(w);
  auto ready = reg.poll_ready(cx, io_direction::write);
  ASSERT_TRUE(ready.is_ready());
  reg.clear_ready(ready.value(), io_direction::write);
  EXPECT_TRUE(reg.poll_ready(cx, io_direction::write).is_pending());
  w.reset();
  reg.reset();
  EXPECT_EQ(cw.refs(), 0);
}

TEST_F(Registration, StaleTokenOfAReusedSlotIsIgnored) {
  socket_pair p1;
  auto old = open(p1.a);
  // White box: a fresh reactor hands out slot 0, generation 0, then generation 1.
  const std::uint64_t old_token = detail::make_token(0, 0);
  old.reset();
  p1.close_a();

  socket_pair p2;
  auto reg = open(p2.a);
  counting_waker cw;
  {
    waker w = cw.make();
    context cx(w);
    auto ready = reg.poll_ready(cx, io_direction::read);
    ASSERT_TRUE(ready.is_ready());
    reg.clear_ready(ready.value(), io_direction::read);
    ASSERT_TRUE(reg.poll_ready(cx, io_direction::read).is_pending());
  }
  // An event of the old generation (as if it were still in a batch) changes nothing.
  EXPECT_FALSE(r.impl().dispatch(old_token, io_ready::readable));
  r.turn(0ns);
  EXPECT_EQ(cw.wakes(), 0);
  // The current generation's token does reach the new registration.
  EXPECT_TRUE(r.impl().dispatch(detail::make_token(1, 0), io_ready::readable));
  r.turn(0ns);
  EXPECT_EQ(cw.wakes(), 1);
  EXPECT_EQ(cw.refs(), 0);
}

TEST_F(Registration, UnknownSlotTokenIsIgnored) {
  EXPECT_FALSE(r.impl().dispatch(detail::make_token(0, 12345), io_ready::readable));
  EXPECT_FALSE(r.impl().dispatch(detail::make_token(0, 0xffffffffu), io_ready::readable));
}

// A registration dropped while its fd has pending events must not wake the dead
// task that waited on it, and must release its waker reference.
TEST_F(Registration, DroppedWithPendingEventsWakesNobody) {
  socket_pair p;
  counting_waker cw;
  {
    auto reg = open(p.a);
    waker w = cw.make();
    context cx(w);
    auto ready = reg.poll_ready(cx, io_direction::read);
    ASSERT_TRUE(ready.is_ready());
    reg.clear_ready(ready.value(), io_direction::read);
    ASSERT_TRUE(reg.poll_ready(cx, io_direction::read).is_pending());
    ASSERT_TRUE(test::put_byte(p.b));  // an event is now pending in the kernel
  }
  EXPECT_EQ(cw.refs(), 0);
  r.turn(0ns);
  r.turn(0ns);
  EXPECT_EQ(cw.wakes(), 0);
}

TEST_F(Registration, SlotsAreReusedWithANewGeneration) {
  std::vector<std::unique_ptr<socket_pair>> pairs;
  for (int round = 0; round < 3; ++round) {
    std::vector<io_registration> regs;
    for (int i = 0; i < 300; ++i) {  // spans two slab pages
      pairs.push_back(std::make_unique<socket_pair>());
      regs.push_back(open(pairs.back()->a));
    }
    EXPECT_EQ(r.registration_count(), 300u);
  }
  EXPECT_EQ(r.registration_count(), 0u);
}

TEST_F(Registration, WriterWokenWhenBufferDrains) {
  socket_pair p;
  auto reg = open(p.a);
  counting_waker cw;
  waker w = cw.make();
  context cx(w);
  r.turn(0ns);
  auto ready = reg.poll_ready(cx, io_direction::write);
  ASSERT_TRUE(ready.is_ready());
  ASSERT_GT(test::fill(p.a), 0u);
  reg.clear_ready(ready.value(), io_direction::write);
  ASSERT_TRUE(reg.poll_ready(cx, io_direction::write).is_pending());
  ASSERT_GT(test::drain(p.b), 0);
  for (int i = 0; i < 10 && cw.wakes() == 0; ++i) r.turn(1s);
  EXPECT_EQ(cw.wakes(), 1);
  EXPECT_TRUE(reg.poll_ready(cx, io_direction::write).is_ready());
}

TEST_F(Registration, HangUpWakesBothDirections) {
  socket_pair p;
  auto reg = open(p.a);
  counting_waker reader, writer;
  r.turn(0ns);
  {
    waker rw = reader.make(), ww = writer.make();
    context rcx(rw), wcx(ww);
    auto rr = reg.poll_ready(rcx, io_direction::read);
    reg.clear_ready(rr.value(), io_direction::read);
    ASSERT_GT(test::fill(p.a), 0u);
    auto wr = reg.poll_ready(wcx, io_direction::write);
    reg.clear_ready(wr.value(), io_direction::write);
    ASSERT_TRUE(reg.poll_ready(rcx, io_direction::read).is_pending());
    ASSERT_TRUE(reg.poll_ready(wcx, io_direction::write).is_pending());
  }
  p.close_b();
  r.turn(1s);
  EXPECT_EQ(reader.wakes(), 1);
  EXPECT_EQ(writer.wakes(), 1);
  waker w = noop_waker();
  context cx(w);
  auto ready = reg.poll_ready(cx, io_direction::read);
  ASSERT_TRUE(ready.is_ready());
  EXPECT_TRUE(ready.value().is_read_closed());
}

TEST_F(Registration, PollIoRetriesUntilWouldBlock) {
  socket_pair p;
  auto reg = open(p.a);
  counting_waker cw;
  waker w = cw.make();
  context cx(w);
  int calls = 0;
  auto op = [&]() -> result<int> {
    ++calls;
    char c;
    const ssize_t n = ::recv(p.a, &c, 1, 0);
    if (n < 0) return std::error_code(errno, std::system_category());
    return static_cast<int>(n);
  };
  EXPECT_TRUE(reg.poll_io(cx, io_direction::read, op).is_pending());
  EXPECT_EQ(calls, 1);
  ASSERT_TRUE(test::put_byte(p.b, 'q'));
  r.turn(1s);
  EXPECT_EQ(cw.wakes(), 1);
  auto got = reg.poll_io(cx, io_direction::read, op);
  ASSERT_TRUE(got.is_ready());
  EXPECT_EQ(*got.value(), 1);
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace eddy
