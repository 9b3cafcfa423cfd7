#pragma once
// Name resolution off the event loops: getaddrinfo blocks, so it runs on a BlockingPool
// and each answer is posted back to the loop that asked.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "gateway/blocking_pool.hpp"
#include "net/event_loop.hpp"
#include "net/socket.hpp"

namespace httvps::gateway {

class Resolver {
 public:
  using Callback = std::function<void(std::optional<net::Address> address, const std::string& error)>;

  explicit Resolver(int threads) : pool_(threads) {}

  // Resolves HOST and runs DONE on LOOP's thread.
  void resolve(net::EventLoop& loop, std::string host, std::uint16_t port, Callback done);

 private:
  BlockingPool pool_;
};

}  // namespace httvps::gateway
