#pragma once
// A few threads for blocking calls (HTTP to the control plane, getaddrinfo), so the event
// loops never wait on them. Jobs post their results back to a loop themselves.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace httvps::gateway {

class BlockingPool {
 public:
  explicit BlockingPool(int threads);
  // Stops the threads after the jobs they are running; queued jobs are dropped.
  ~BlockingPool();
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  void submit(std::function<void()> job);

 private:
  void worker();

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace httvps::gateway
