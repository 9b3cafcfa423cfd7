#include "net/event_loop.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace httvps::net {

namespace {
// Marks the wake-up eventfd in epoll_event.data (handlers are never at this address).
Handler* const kWakeMarker = nullptr;
}  // namespace

std::unique_ptr<EventLoop> EventLoop::create(std::string& error) noexcept {
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) {
    error = std::string("epoll_create1: ") + std::strerror(errno);
    return nullptr;
  }
  int wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wakefd < 0) {
    error = std::string("eventfd: ") + std::strerror(errno);
    close(epfd);
    return nullptr;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = kWakeMarker;
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, wakefd, &ev) != 0) {
    error = std::string("epoll_ctl: ") + std::strerror(errno);
    close(wakefd);
    close(epfd);
    return nullptr;
  }
  return std::unique_ptr<EventLoop>(new EventLoop(epfd, wakefd));
}

EventLoop::EventLoop(int epfd, int wakefd) noexcept : epfd_(epfd), wakefd_(wakefd), now_(Clock::now()) {}

EventLoop::~EventLoop() {
  close(wakefd_);
  close(epfd_);
}

bool EventLoop::add(int fd, std::uint32_t events, Handler* handler) noexcept {
  epoll_event ev{};
  ev.events = events | EPOLLET;
  ev.data.ptr = handler;
  return epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool EventLoop::modify(int fd, std::uint32_t events, Handler* handler) noexcept {
  epoll_event ev{};
  ev.events = events | EPOLLET;
  ev.data.ptr = handler;
  return epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) == 0;
}

void EventLoop::remove(int fd) noexcept { epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr); }

EventLoop::TimerId EventLoop::add_timer(Clock::time_point when, std::function<void()> fn) noexcept {
  TimerId id = next_timer_id_++;
  timers_.emplace(std::make_pair(when, id), std::move(fn));
  timer_index_.emplace(id, when);
  return id;
}

void EventLoop::cancel_timer(TimerId id) noexcept {
  if (id == 0) return;
  auto it = timer_index_.find(id);
  if (it == timer_index_.end()) return;
  timers_.erase(std::make_pair(it->second, id));
  timer_index_.erase(it);
}

void EventLoop::defer(std::function<void()> fn) noexcept { deferred_.push_back(std::move(fn)); }

void EventLoop::post(std::function<void()> fn) noexcept {
  {
    std::lock_guard lock(posted_mutex_);
    posted_.push_back(std::move(fn));
  }
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = write(wakefd_, &one, sizeof one);
}

void EventLoop::stop() noexcept {
  {
    std::lock_guard lock(posted_mutex_);
    stop_requested_ = true;
  }
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = write(wakefd_, &one, sizeof one);
}

int EventLoop::next_timeout_ms() const noexcept {
  if (!deferred_.empty()) return 0;
  if (timers_.empty()) return 1000;
  auto wait = timers_.begin()->first.first - Clock::now();
  if (wait <= Clock::duration::zero()) return 0;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
  return ms > 1000 ? 1000 : static_cast<int>(ms);
}

void EventLoop::run_timers() noexcept {
  while (!timers_.empty() && timers_.begin()->first.first <= now_) {
    auto node = timers_.extract(timers_.begin());
    timer_index_.erase(node.key().second);
    node.mapped()();
  }
}

void EventLoop::run_deferred() noexcept {
  // A deferred call may defer again; those run in the next round of this loop.
  for (int round = 0; round < 64 && !deferred_.empty(); ++round) {
    std::vector<std::function<void()>> batch;
    batch.swap(deferred_);
    for (auto& fn : batch) fn();
  }
}

void EventLoop::drain_posted() noexcept {
  std::uint64_t count = 0;
  [[maybe_unused]] auto n = read(wakefd_, &count, sizeof count);
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard lock(posted_mutex_);
    batch.swap(posted_);
    if (stop_requested_) stopping_ = true;
  }
  for (auto& fn : batch) fn();
}

void EventLoop::run() noexcept {
  std::array<epoll_event, 256> events{};
  {
    std::lock_guard lock(posted_mutex_);
    if (stop_requested_) return;
  }
  while (!stopping_) {
    int n = epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), next_timeout_ms());
    now_ = Clock::now();
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < n; ++i) {
      auto* handler = static_cast<Handler*>(events[static_cast<std::size_t>(i)].data.ptr);
      if (handler == kWakeMarker) {
        drain_posted();
      } else {
        handler->on_io(events[static_cast<std::size_t>(i)].events);
      }
    }
    run_deferred();
    run_timers();
    run_deferred();
  }
}

}  // namespace httvps::net
