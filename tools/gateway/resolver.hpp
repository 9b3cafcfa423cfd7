#pragma once
// Name resolution off the event loops: getaddrinfo blocks, so a small pool of threads runs
// it and posts each answer back to the loop that asked.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net/event_loop.hpp"
#include "net/socket.hpp"

namespace httvps::gateway {

class Resolver {
 public:
  using Callback = std::function<void(std::optional<net::Address> address, const std::string& error)>;

  explicit Resolver(int threads);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Resolves HOST and runs DONE on LOOP's thread.
  void resolve(net::EventLoop& loop, std::string host, std::uint16_t port, Callback done);

 private:
  struct Job {
    net::EventLoop* loop;
    std::string host;
    std::uint16_t port;
    Callback done;
  };
  void worker();

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace httvps::gateway
