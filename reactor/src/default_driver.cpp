// default_driver.cpp: the driver stack every runtime gets unless told otherwise.
// It lives at the top of the driver layers (reactor) so that runtime/ stays free of
// them. For now a plain thread parker; the timer and epoll drivers replace it.
#include <eddy/driver.hpp>

#include "runtime/src/thread_parker.hpp"

namespace eddy {

std::unique_ptr<driver> make_default_driver() { return std::make_unique<detail::thread_parker>(); }

}  // namespace eddy
