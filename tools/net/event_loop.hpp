#pragma once
// One epoll event loop per thread (docs/gateway.md, "Threads"). Sockets are registered
// edge-triggered with a Handler; timers and deferred calls run on the loop's thread; post()
// is the only thread-safe entry (it wakes the loop through an eventfd).
//
// Lifetime rule: an object that owns a registered fd must stay alive until the end of the
// current batch of events, because later events of the same batch may still name it.
// Objects therefore never delete themselves; they close their fd and ask the loop to
// destroy them with defer(), which runs after the batch.
//
// Nothing here throws (the data-path rule); std::function allocation failing terminates.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace httvps::net {

using Clock = std::chrono::steady_clock;

class Handler {
 public:
  // EVENTS is the epoll mask (EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLRDHUP).
  virtual void on_io(std::uint32_t events) noexcept = 0;
  virtual ~Handler() = default;
};

class EventLoop {
 public:
  using TimerId = std::uint64_t;

  // nullptr with ERROR set when epoll or eventfd cannot be created.
  static std::unique_ptr<EventLoop> create(std::string& error) noexcept;
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Registers FD edge-triggered for EVENTS (EPOLLET is added). False when epoll refuses.
  bool add(int fd, std::uint32_t events, Handler* handler) noexcept;
  bool modify(int fd, std::uint32_t events, Handler* handler) noexcept;
  void remove(int fd) noexcept;

  // Runs FN on this thread at WHEN (or at the next turn if WHEN has passed). Ids are never 0.
  TimerId add_timer(Clock::time_point when, std::function<void()> fn) noexcept;
  TimerId add_timer(std::chrono::milliseconds after, std::function<void()> fn) noexcept {
    return add_timer(now() + after, std::move(fn));
  }
  // Cancels a timer that has not run; 0 and unknown ids are ignored.
  void cancel_timer(TimerId id) noexcept;

  // Runs FN on this thread after the current batch of events (see the lifetime rule).
  void defer(std::function<void()> fn) noexcept;

  // Thread-safe: runs FN on the loop's thread soon.
  void post(std::function<void()> fn) noexcept;

  // Runs until stop(). Returns at once if stop() was called before.
  void run() noexcept;
  // Thread-safe.
  void stop() noexcept;

  // The time at the start of the current turn (cheap; good enough for timeouts).
  Clock::time_point now() const noexcept { return now_; }

 private:
  EventLoop(int epfd, int wakefd) noexcept;
  void run_timers() noexcept;
  void run_deferred() noexcept;
  void drain_posted() noexcept;
  int next_timeout_ms() const noexcept;

  int epfd_;
  int wakefd_;
  Clock::time_point now_;
  bool stopping_ = false;

  TimerId next_timer_id_ = 1;
  std::map<std::pair<Clock::time_point, TimerId>, std::function<void()>> timers_;
  std::unordered_map<TimerId, Clock::time_point> timer_index_;

  std::vector<std::function<void()>> deferred_;

  std::mutex posted_mutex_;
  std::vector<std::function<void()>> posted_;
  bool stop_requested_ = false;  // guarded by posted_mutex_
};

}  // namespace httvps::net
