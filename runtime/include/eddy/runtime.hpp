// runtime.hpp: everything needed to write and run tasks.
#pragma once

#include <eddy/context.hpp>
#include <eddy/error.hpp>
#include <eddy/executor.hpp>
#include <eddy/future.hpp>
#include <eddy/join.hpp>
#include <eddy/join_handle.hpp>
#include <eddy/polled.hpp>
#include <eddy/result.hpp>
#include <eddy/task.hpp>
#include <eddy/waker.hpp>
#include <eddy/yield_now.hpp>
