// server_detail.hpp: what server.cpp (accept loop, shutdown) and
// server_connection.cpp (one connection's task) share.
//
// Ownership of a connection_slot (invariants):
//   1. serve() allocates it, links it into live_ and stores the join handle of the
//      connection task in it; the task gets it through its connection_guard.
//   2. When the task's frame goes (completion or cancellation), the guard moves
//      the slot from live_ to finished_; serve() deletes finished slots (reap()),
//      which drops the join handles of tasks that are already gone.
//   3. A server destroyed while connection tasks live orphans their slots (owner
//      becomes null, the handle is aborted and detached); the guard then deletes
//      its slot itself and touches nothing else.
#pragma once

#include <eddy/join_handle.hpp>
#include <eddy/net/http/server.hpp>
#include <eddy/waker.hpp>

namespace eddy::net::http::detail {

struct connection_slot {
  connection_slot* prev = nullptr;
  connection_slot* next = nullptr;
  server* owner = nullptr;
  join_handle<void> handle;
  /// The connection task, while it waits for input.
  waker reader;
  /// True while it waits between requests: shutdown wakes it to close at once.
  bool idle_wait = false;
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

}  // namespace eddy::net::http
