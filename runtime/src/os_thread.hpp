// os_thread.hpp: a joinable thread with a name and a stack size, which std::thread
// cannot set. POSIX threads: Linux and the BSDs alike.
#pragma once

#include <pthread.h>

#include <cstddef>
#include <functional>
#include <string>
#include <system_error>
#include <utility>

namespace eddy::detail {

class os_thread {
 public:
  os_thread() = default;
  /// Starts `fn`; `stack_size` 0 keeps the default. Throws std::system_error.
  os_thread(std::string name, std::size_t stack_size, std::function<void()> fn) {
    auto* start = new start_info{std::move(name), std::move(fn)};
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    if (stack_size) pthread_attr_setstacksize(&attr, stack_size);
    int rc = pthread_create(&id_, &attr, &entry, start);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
      delete start;
      throw std::system_error(rc, std::system_category(), "eddy: cannot start a thread");
    }
    joinable_ = true;
  }
  os_thread(os_thread&& o) noexcept : id_(o.id_), joinable_(std::exchange(o.joinable_, false)) {}
  os_thread& operator=(os_thread&& o) noexcept {
    if (this != &o) {
      join();
      id_ = o.id_;
      joinable_ = std::exchange(o.joinable_, false);
    }
    return *this;
  }
  ~os_thread() { join(); }

  void join() noexcept {
    if (std::exchange(joinable_, false)) pthread_join(id_, nullptr);
  }

 private:
  struct start_info {
    std::string name;
    std::function<void()> fn;
  };
  static void* entry(void* p) {
    auto* info = static_cast<start_info*>(p);
#if defined(__linux__)
    // Linux limits names to 15 characters.
    pthread_setname_np(pthread_self(), info->name.substr(0, 15).c_str());
#endif
    info->fn();
    delete info;
    return nullptr;
  }

  pthread_t id_{};
  bool joinable_ = false;
};

}  // namespace eddy::detail
