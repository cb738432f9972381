// server_detail.hpp: what server.cpp (accept loop, shutdown) and
// server_connection.cpp (one connection's task) share.
//
// Ownership of a connection_slot (invariants):
//   1. serve() allocates it, links it into live_ and stores the join handle of the
//      connection task in it; the task gets it through its connection_guard.
//   2. When the task's frame goes (completion or cancellation), the guard moves
//      the slot from live_ to finished_; serve() deletes finished slots (reap()),
//      which drops the join handles of tasks that are already gone. So a slot
//      serve() reached through live_ stays allocated until serve()'s next reap(),
//      even after its task ended.
//   3. A server destroyed while connection tasks live orphans their slots (owner
//      becomes null, the handle is aborted and detached); the guard then deletes
//      its slot itself and touches nothing else. (Only where the destruction and
//      the tasks do not run at once: server.hpp's lifetime rule.)
//
// Threads (the multi-thread runtime runs serve() and each connection on any
// worker):
//   4. conns_mu_ guards live_, finished_, drained_waker_, every slot's links, and
//      every write of a slot's `reader`. `reader` is written only by its own
//      connection (and by its guard), so the connection reads it without the lock
//      (will_wake); serve() reads it under the lock.
//   5. A connection registers its task's waker as `reader` (under the lock; a
//      task's waker does not change, so once per connection) before it checks
//      stopping_ (acquire) while waiting between requests. serve() sets stopping_
//      (release) before it takes the lock to wake every registered reader. So
//      either the connection sees stopping_, or serve() sees its waker and wakes
//      it, and the woken poll sees stopping_: no idle connection is missed. Waking
//      a busy connection is only a spurious poll.
#pragma once

#include <atomic>

#include <eddy/join_handle.hpp>
#include <eddy/net/http/server.hpp>
#include <eddy/net/tcp_stream.hpp>
#include <eddy/task.hpp>
#include <eddy/timer/sleep.hpp>
#include <eddy/waker.hpp>

namespace eddy::net::http::detail {

struct connection_slot {
  connection_slot* prev = nullptr;
  connection_slot* next = nullptr;
  /// Null once orphaned (invariant 3).
  std::atomic<server*> owner{nullptr};
  join_handle<void> handle;
  /// The connection task's waker, once it waited for input: shutdown wakes it
  /// (invariants 4 and 5).
  waker reader;
};

inline void link_front(connection_slot*& head, connection_slot* s) noexcept {
  s->prev = nullptr;
  s->next = head;
  if (head) head->prev = s;
  head = s;
}

inline void unlink(connection_slot*& head, connection_slot* s) noexcept {
  if (s->prev)
    s->prev->next = s->next;
  else
    head = s->next;
  if (s->next) s->next->prev = s->prev;
  s->prev = s->next = nullptr;
}

}  // namespace eddy::net::http::detail

namespace eddy::net::http {

/// Passed by value into the connection coroutine, so that it lives in the frame
/// from its creation: even a task cancelled before its first poll releases its
/// slot (invariant 2).
struct server::connection_guard {
  server* srv = nullptr;
  detail::connection_slot* slot = nullptr;

  connection_guard(server* s, detail::connection_slot* sl) noexcept : srv(s), slot(sl) {}
  connection_guard(connection_guard&& o) noexcept
      : srv(std::exchange(o.srv, nullptr)), slot(std::exchange(o.slot, nullptr)) {}
  connection_guard& operator=(connection_guard&&) = delete;
  ~connection_guard();
};

/// One connection's task (server.hpp's state machine; server_connection.cpp). A
/// hand-written future, so that a connection idle between requests holds no
/// coroutine frame: it is only this object, in its task's cell (the socket, the
/// codec without a buffer, the deadline timer), and waits for input itself.
/// Bytes start a batch: serve_batch(), a coroutine whose frame (the output
/// buffer, the request in flight and everything awaited for it) comes from the
/// frame pool and goes back to it when the connection is idle again.
///
/// Invariants:
///   1. batch_ is valid from the arrival of bytes until the codec is idle again
///      with nothing left to write (or the connection ended); only then does
///      poll() wait for input itself.
///   2. batch_ is declared last: destroyed first, since its frame refers to the
///      members above (a cancelled connection destroys it mid-request).
///   3. Moved only before its first poll (into its task's cell, by spawn()).
class server::connection {
 public:
  connection(tcp_stream stream, connection_guard guard) noexcept;
  connection(connection&&) noexcept = default;
  connection& operator=(connection&&) = delete;

  polled<void> poll(context& cx);

 private:
  friend class server;

  connection_guard guard_;
  tcp_stream stream_;
  server_codec codec_;
  sleep_future deadline_timer_{timer::clock::time_point::max()};
  /// What the next wait for input between batches is bounded by.
  timer::clock::time_point idle_deadline_;
  /// A request that has started (some of it received) must be complete by then.
  timer::clock::time_point request_deadline_;
  bool request_started_ = true;
  /// A read returned 0: the peer sends nothing more, so closing needs no linger.
  bool peer_finished_ = false;
  task<bool> batch_;  // invariants 1 and 2
};

}  // namespace eddy::net::http
