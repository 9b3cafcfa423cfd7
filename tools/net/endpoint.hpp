#pragma once
// The outside end of one tunnel stream: the application's socket on the client, the
// upstream on the gateway (plain TCP, Shadowsocks AEAD to a node, or the in-process echo
// and discard used by tests). A stream (mux.hpp) moves bytes between its endpoint and the
// WebSocket under flow control; the endpoint reports readiness through EndpointEvents.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "net/event_loop.hpp"
#include "net/socket.hpp"
#include "tunnel/shadowsocks.hpp"
#include "tunnel/tunnel_frame.hpp"

namespace httvps::net {

class EndpointEvents {
 public:
  // The endpoint is connected: reads and writes may start (an endpoint that is ready at
  // once calls it from start()).
  virtual void endpoint_ready() noexcept = 0;
  // It failed before or after connecting; the stream resets with REASON.
  virtual void endpoint_failed(tunnel::StreamReason reason, const std::string& why) noexcept = 0;
  // Edge notifications: there may be bytes to read / room to write now.
  virtual void endpoint_readable() noexcept = 0;
  virtual void endpoint_writable() noexcept = 0;

 protected:
  ~EndpointEvents() = default;
};

class Endpoint {
 public:
  virtual ~Endpoint() = default;
  // Begins (connecting, registering with the loop). Events go to EVENTS until close().
  virtual void start(EndpointEvents* events) noexcept = 0;
  // Plaintext in and out. read: kOk (n > 0), kWantRead, kEof, kError. write: kOk (n may be
  // less than asked), kWantWrite, kError.
  virtual IoResult read(std::span<std::uint8_t> out) noexcept = 0;
  virtual IoResult write(std::span<const std::uint8_t> in) noexcept = 0;
  // No more writes will come (the peer's FIN): half-close towards the endpoint.
  virtual void shutdown_write() noexcept = 0;
  // Stops events and releases the socket; the object is destroyed later (deferred).
  virtual void close() noexcept = 0;
  // For logs: where it leads ("node fra-1 (203.0.113.10:8388)", "198.51.100.7:443").
  virtual std::string describe() const noexcept = 0;
  // Which hop of make_connect_endpoint's list carries the stream once it is ready;
  // kNoHop for other endpoints and before the connection (metering per node).
  static constexpr std::size_t kNoHop = static_cast<std::size_t>(-1);
  virtual std::size_t connected_hop() const noexcept { return kNoHop; }
};

// An already connected socket (the client's accepted local connections). Takes FD.
std::unique_ptr<Endpoint> make_socket_endpoint(EventLoop& loop, int fd, std::string description) noexcept;

// One way to reach the target, tried in order by make_connect_endpoint.
struct Hop {
  Address address;                      // where to connect
  std::string name;                     // for logs and metrics ("fra-1", "direct")
  bool shadowsocks = false;             // wrap in Shadowsocks AEAD to this address
  tunnel::Cipher cipher = tunnel::Cipher::kChacha20IetfPoly1305;
  std::vector<std::uint8_t> key;        // the master key (password_to_key)
};

struct ConnectOptions {
  std::chrono::milliseconds timeout{5000};  // per hop
  // Called for each hop that fails (its name and why), for failover metrics.
  std::function<void(const std::string& hop, const std::string& why)> on_hop_failure;
};

// Connects to the first hop that answers, in order: a hop that refuses or times out makes
// it try the next (failover). With a Shadowsocks hop, TARGET (OPEN's address) is sent first
// and bytes are sealed and opened transparently.
std::unique_ptr<Endpoint> make_connect_endpoint(EventLoop& loop, std::vector<Hop> hops,
                                                const tunnel::TargetAddress& target, ConnectOptions options) noexcept;

// In-process endpoints for tests: echo returns every byte written (holding at most LIMIT
// bytes), discard swallows writes and never has anything to read until the write side is
// shut, then reports EOF.
std::unique_ptr<Endpoint> make_echo_endpoint(EventLoop& loop, std::size_t limit) noexcept;
std::unique_ptr<Endpoint> make_discard_endpoint(EventLoop& loop) noexcept;

}  // namespace httvps::net
