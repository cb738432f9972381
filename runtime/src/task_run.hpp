// task_run.hpp: the state transitions every executor makes around one poll of a
// task (task_header.hpp explains the state word). Executors differ in where they
// queue and track tasks, not in how a task is run or completed.
#pragma once

#include <eddy/detail/task_header.hpp>

namespace eddy::detail {

enum class run_outcome {
  /// Pending and not woken meanwhile: nothing to do until a wake.
  idle,
  /// Woken while it ran: queue it again.
  requeue,
  /// Finished (value, exception or cancellation): call finish_task().
  finished,
};

/// Polls `t` once (or destroys its frame if it was cancelled). Precondition: `t`
/// was dequeued with `scheduled` set and `running` clear.
run_outcome run_task(task_header* t) noexcept;

/// Publishes completion, wakes the join handle and drops the executor's
/// reference. The caller has already unlinked `t` from its owned-task list.
void finish_task(task_header* t) noexcept;

}  // namespace eddy::detail
