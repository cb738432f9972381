// timer.hpp: everything of the timer module: sleep_for / sleep_until, timeout,
// interval, and the time_driver with its (pausable) clock.
#pragma once

#include <eddy/timer/clock.hpp>
#include <eddy/timer/interval.hpp>
#include <eddy/timer/sleep.hpp>
#include <eddy/timer/time_driver.hpp>
#include <eddy/timer/timeout.hpp>
