// eddy.hpp: everything needed to write and run tasks.
#pragma once

#include <eddy/runtime.hpp>
