#include <eddy/sync/error.hpp>

#include <string>

namespace eddy::sync {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "eddy.sync"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::closed:
        return "channel closed";
      case errc::empty:
        return "channel empty";
      case errc::full:
        return "channel full";
      case errc::lagged:
        return "receiver lagged behind and missed values";
    }
    return "unknown eddy.sync error";
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const category c;
  return c;
}

}  // namespace eddy::sync
