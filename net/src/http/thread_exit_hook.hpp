// thread_exit_hook.hpp: work at thread exit for the per-thread caches whose
// thread_local state is trivially destructible (so that each access is a plain
// TLS load, with no guard): a Hook whose destructor empties the cache.
#pragma once

namespace eddy::net::http::detail {

/// Makes Hook's destructor run at this thread's exit. Call it once per thread,
/// on a slow path (the first time the thread keeps something in the cache).
template <class Hook>
[[gnu::noinline, gnu::cold]] void arm_thread_exit_hook() noexcept {
  thread_local Hook hook;
  (void)hook;
}

}  // namespace eddy::net::http::detail
