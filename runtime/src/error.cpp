#include <eddy/error.hpp>

#include <string>

namespace eddy {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "eddy"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::timed_out:
        return "operation timed out";
      case errc::cancelled:
        return "operation cancelled";
      case errc::runtime_shutdown:
        return "runtime is shut down";
      case errc::no_runtime:
        return "no eddy runtime is running on this thread";
    }
    return "unknown eddy error";
  }
  std::error_condition default_error_condition(int ev) const noexcept override {
    switch (static_cast<errc>(ev)) {
      case errc::timed_out:
        return std::errc::timed_out;
      case errc::cancelled:
        return std::errc::operation_canceled;
      default:
        return {ev, *this};
    }
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const category c;
  return c;
}

}  // namespace eddy
