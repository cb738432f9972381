// default_driver.cpp: the driver stack every runtime gets unless told otherwise:
// the time driver (timer wheel) wrapping the reactor (epoll), as Tokio layers its
// time driver over its I/O driver. It lives at the top of the driver layers
// (reactor) so that runtime/ stays free of them.
#include <eddy/driver.hpp>
#include <eddy/reactor/reactor.hpp>
#include <eddy/timer/time_driver.hpp>

namespace eddy {

std::unique_ptr<driver> make_default_driver() {
  return std::make_unique<timer::time_driver>(std::make_unique<reactor>());
}

}  // namespace eddy
