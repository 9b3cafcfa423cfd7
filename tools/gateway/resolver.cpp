#include "gateway/resolver.hpp"

namespace httvps::gateway {

Resolver::Resolver(int threads) {
  for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { worker(); });
}

Resolver::~Resolver() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void Resolver::resolve(net::EventLoop& loop, std::string host, std::uint16_t port, Callback done) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(Job{&loop, std::move(host), port, std::move(done)});
  }
  cv_.notify_one();
}

void Resolver::worker() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    std::string error;
    auto address = net::resolve(job.host, job.port, error);
    job.loop->post([done = std::move(job.done), address, error] { done(address, error); });
  }
}

}  // namespace httvps::gateway
