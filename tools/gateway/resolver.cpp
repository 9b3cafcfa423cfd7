#include "gateway/resolver.hpp"

namespace httvps::gateway {

void Resolver::resolve(net::EventLoop& loop, std::string host, std::uint16_t port, Callback done) {
  pool_.submit([&loop, host = std::move(host), port, done = std::move(done)] {
    std::string error;
    auto address = net::resolve(host, port, error);
    loop.post([done, address, error] { done(address, error); });
  });
}

}  // namespace httvps::gateway
