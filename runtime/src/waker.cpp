#include <eddy/waker.hpp>

namespace eddy {
namespace {

raw_waker noop_clone(void*);
void noop(void*) {}
constexpr waker_vtable noop_vtable{noop_clone, noop, noop, noop};
raw_waker noop_clone(void*) { return {nullptr, &noop_vtable}; }

}  // namespace

waker noop_waker() noexcept { return waker(nullptr, &noop_vtable); }

}  // namespace eddy
