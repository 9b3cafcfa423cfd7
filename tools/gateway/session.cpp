#include "gateway/session.hpp"

#include <arpa/inet.h>
#include <openssl/rand.h>

#include <cstring>

#include <nlohmann/json.hpp>

#include "core/log.hpp"
#include "gateway/hello.hpp"

namespace httvps::gateway {

namespace {

using Json = nlohmann::json;
using tunnel::CloseCode;
using tunnel::FrameType;
using tunnel::StreamReason;

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) std::terminate();
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char b : raw) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

// A direct stream to a domain name: resolved on the resolver pool, checked against the
// private-address policy, then connected.
class ResolvingEndpoint final : public net::Endpoint, public net::EndpointEvents {
 public:
  ResolvingEndpoint(net::EventLoop& loop, Resolver& resolver, tunnel::TargetAddress target, bool allow_private,
                    net::ConnectOptions options) noexcept
      : loop_(loop), resolver_(resolver), target_(std::move(target)), allow_private_(allow_private),
        options_(std::move(options)) {}

  void start(net::EndpointEvents* events) noexcept override {
    events_ = events;
    resolver_.resolve(loop_, target_.domain, target_.port,
                      [this, alive = std::weak_ptr<bool>(alive_)](std::optional<net::Address> address,
                                                                   const std::string& error) {
                        if (alive.expired() || events_ == nullptr) return;
                        if (!address) {
                          events_->endpoint_failed(StreamReason::kUnreachable, error);
                          return;
                        }
                        if (!allow_private_ && net::is_private_address(*address)) {
                          events_->endpoint_failed(StreamReason::kNotAllowed,
                                                   "the target resolves to a private address");
                          return;
                        }
                        net::Hop hop;
                        hop.address = *address;
                        hop.name = "direct";
                        inner_ = net::make_connect_endpoint(loop_, {hop}, target_, options_);
                        inner_->start(this);
                      });
  }
  net::IoResult read(std::span<std::uint8_t> out) noexcept override {
    return inner_ ? inner_->read(out) : net::IoResult{net::IoStatus::kWantRead, 0};
  }
  net::IoResult write(std::span<const std::uint8_t> in) noexcept override {
    return inner_ ? inner_->write(in) : net::IoResult{net::IoStatus::kWantWrite, 0};
  }
  void shutdown_write() noexcept override {
    if (inner_) inner_->shutdown_write();
  }
  void close() noexcept override {
    events_ = nullptr;
    if (inner_) inner_->close();
  }
  std::string describe() const noexcept override {
    return inner_ ? inner_->describe() : tunnel::format_target_address(target_);
  }

  // Events of the inner endpoint, passed on.
  void endpoint_ready() noexcept override {
    if (events_) events_->endpoint_ready();
  }
  void endpoint_failed(StreamReason reason, const std::string& why) noexcept override {
    if (events_) events_->endpoint_failed(reason, why);
  }
  void endpoint_readable() noexcept override {
    if (events_) events_->endpoint_readable();
  }
  void endpoint_writable() noexcept override {
    if (events_) events_->endpoint_writable();
  }

 private:
  net::EventLoop& loop_;
  Resolver& resolver_;
  tunnel::TargetAddress target_;
  bool allow_private_;
  net::ConnectOptions options_;
  net::EndpointEvents* events_ = nullptr;
  std::unique_ptr<net::Endpoint> inner_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

net::Address address_of(const tunnel::TargetAddress& target) {
  net::Address out;
  if (target.type == tunnel::AddressType::kIpv4) {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(target.port);
    std::memcpy(&in.sin_addr, target.ip.data(), 4);
    std::memcpy(&out.storage, &in, sizeof in);
    out.length = sizeof in;
  } else {
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(target.port);
    std::memcpy(&in6.sin6_addr, target.ip.data(), 16);
    std::memcpy(&out.storage, &in6, sizeof in6);
    out.length = sizeof in6;
  }
  return out;
}

}  // namespace

GatewaySession::GatewaySession(net::EventLoop& loop, std::unique_ptr<net::Transport> transport,
                               SessionServices services, std::string peer,
                               std::function<void(GatewaySession*)> on_done) noexcept
    : net::MuxConnection(loop, std::move(transport), Role::kServer),
      services_(services),
      peer_(std::move(peer)),
      on_done_(std::move(on_done)),
      accepted_at_(net::Clock::now()) {
  services_.metrics->connections_total.fetch_add(1, std::memory_order_relaxed);
  services_.metrics->connections_open.fetch_add(1, std::memory_order_relaxed);
}

GatewaySession::~GatewaySession() { loop().cancel_timer(hello_timer_); }

bool GatewaySession::on_upgrade_request(const tunnel::UpgradeRequest& request) noexcept {
  std::string_view path = std::string_view(request.path).substr(0, request.path.find('?'));
  if (path != services_.settings->path) {
    services_.metrics->upgrade_failures.fetch_add(1, std::memory_order_relaxed);
    send_raw(tunnel::build_error_response(404, "no tunnel at this path"));
    return false;
  }
  if (!tunnel::offers_protocol(request.protocols, tunnel::kSubprotocol)) {
    services_.metrics->upgrade_failures.fetch_add(1, std::memory_order_relaxed);
    send_raw(tunnel::build_error_response(400, "Sec-WebSocket-Protocol must offer httvps.v1"));
    return false;
  }
  if (draining_) {
    send_raw(tunnel::build_error_response(503, "the gateway is draining"));
    return false;
  }
  send_raw(tunnel::build_upgrade_response(request.key, tunnel::kSubprotocol));
  return true;
}

void GatewaySession::on_upgraded() noexcept {
  state_ = State::kAwaitHello;
  hello_timer_ = loop().add_timer(
      std::chrono::duration_cast<std::chrono::milliseconds>(services_.settings->hello_timeout), [this] {
        hello_timer_ = 0;
        if (state_ == State::kAwaitHello) close_connection(CloseCode::kHelloTimeout, "no HELLO in time");
      });
}

bool GatewaySession::on_control(const tunnel::TunnelFrame& frame) noexcept {
  switch (frame.type) {
    case FrameType::kHello:
      return state_ == State::kAwaitHello && on_hello(frame);
    case FrameType::kOpen:
      return state_ == State::kWelcomed && on_open(frame);
    default:
      return false;  // WELCOME, REFUSE, OPENED, ... travel the other way
  }
}

bool GatewaySession::on_hello(const tunnel::TunnelFrame& frame) noexcept {
  loop().cancel_timer(hello_timer_);
  hello_timer_ = 0;
  std::string error;
  auto hello = parse_hello(tunnel::payload_text(frame), error);
  if (!hello) {
    close_connection(CloseCode::kTunnelProtocol, "bad HELLO: " + error);
    return true;
  }
  if (hello->window) client_window_ = *hello->window;
  state_ = State::kValidating;
  services_.validator->check(loop(), hello->token, hello->hwid,
                             [this, alive = std::weak_ptr<bool>(alive_)](const Verdict& verdict) {
                               if (!alive.expired() && !closed()) on_verdict(verdict);
                             });
  return true;
}

void GatewaySession::on_verdict(const Verdict& verdict) noexcept {
  services_.metrics->handshake(net::Clock::now() - accepted_at_);
  if (!verdict.allowed || draining_) {
    state_ = State::kRefused;
    std::string reason = draining_ ? "unavailable" : verdict.reason;
    services_.metrics->refusal(reason);
    log::info("device refused", {{"peer", peer_}, {"reason", reason}, {"device_id", verdict.device_id}});
    Json refuse = {{"reason", reason}, {"detail", draining_ ? "the gateway is draining" : verdict.detail}};
    send_json(FrameType::kRefuse, refuse.dump());
    close_connection(CloseCode::kDeviceRefused, reason);
    return;
  }
  if (services_.settings->upstream == UpstreamMode::kNodes && verdict.nodes.empty()) {
    state_ = State::kRefused;
    services_.metrics->refusal("no_node");
    Json refuse = {{"reason", "no_node"}, {"detail", "no node of this device's region can be reached"}};
    send_json(FrameType::kRefuse, refuse.dump());
    close_connection(CloseCode::kDeviceRefused, "no_node");
    return;
  }
  verdict_ = verdict;
  state_ = State::kWelcomed;
  session_id_ = services_.settings->name + ":" + random_hex(8);
  Json limits = {{"bytes_remaining", nullptr}, {"speed_limit_bps", nullptr}, {"expires_at", nullptr}};
  if (verdict.bytes_remaining) limits["bytes_remaining"] = *verdict.bytes_remaining;
  if (verdict.speed_limit_bps) limits["speed_limit_bps"] = *verdict.speed_limit_bps;
  if (!verdict.expires_at.empty()) limits["expires_at"] = verdict.expires_at;
  Json welcome = {{"session", session_id_},
                  {"window", services_.settings->window},
                  {"max_streams", services_.settings->max_streams},
                  {"limits", limits}};
  send_json(FrameType::kWelcome, welcome.dump());
  streams_allowed_ = true;
  services_.metrics->sessions_total.fetch_add(1, std::memory_order_relaxed);
  log::info("device welcomed", {{"peer", peer_},
                                {"session", session_id_},
                                {"device_id", verdict.device_id},
                                {"username", verdict.username},
                                {"device", verdict.device},
                                {"stale_answer", verdict.stale}});
}

bool GatewaySession::on_open(const tunnel::TunnelFrame& frame) noexcept {
  if (frame.stream_id <= highest_stream_) return false;  // ids increase and are never reused
  highest_stream_ = frame.stream_id;
  tunnel::TargetAddress target;
  if (!tunnel::parse_target_address(frame.payload, target)) return false;
  auto fail = [&](StreamReason reason, std::string_view text) {
    services_.metrics->open_failures.fetch_add(1, std::memory_order_relaxed);
    send_reason(FrameType::kOpenFailed, frame.stream_id, reason, text);
    return true;
  };
  if (draining_) return fail(StreamReason::kGoingAway, "the gateway is draining");
  if (stream_count() >= services_.settings->max_streams) return fail(StreamReason::kTooManyStreams, "");
  std::string refusal;
  StreamReason reason = StreamReason::kNotAllowed;
  auto endpoint = make_upstream(target, refusal, reason);
  if (!endpoint) return fail(reason, refusal);
  ++streams_;
  services_.metrics->streams_total.fetch_add(1, std::memory_order_relaxed);
  services_.metrics->streams_open.fetch_add(1, std::memory_order_relaxed);
  add_stream(frame.stream_id, std::move(endpoint), client_window_, services_.settings->window);
  return true;
}

std::unique_ptr<net::Endpoint> GatewaySession::make_upstream(const tunnel::TargetAddress& target,
                                                             std::string& refusal,
                                                             StreamReason& reason) noexcept {
  const auto& s = *services_.settings;
  net::ConnectOptions options;
  options.timeout = s.connect_timeout;
  Metrics* metrics = services_.metrics;
  options.on_hop_failure = [metrics](const std::string& hop, const std::string& why) {
    metrics->upstream_failure(hop);
    log::warn("upstream connect failed", {{"node", hop}, {"error", why}});
  };
  switch (s.upstream) {
    case UpstreamMode::kEcho:
      return net::make_echo_endpoint(loop(), s.window);
    case UpstreamMode::kDiscard:
      return net::make_discard_endpoint(loop());
    case UpstreamMode::kNodes: {
      std::vector<net::Hop> hops;
      for (const auto& node : verdict_.nodes) hops.push_back(node.hop);
      return net::make_connect_endpoint(loop(), std::move(hops), target, std::move(options));
    }
    case UpstreamMode::kDirect:
      if (target.type == tunnel::AddressType::kDomain) {
        return std::make_unique<ResolvingEndpoint>(loop(), *services_.resolver, target, s.allow_private_targets,
                                                   std::move(options));
      }
      net::Hop hop;
      hop.address = address_of(target);
      hop.name = "direct";
      if (!s.allow_private_targets && net::is_private_address(hop.address)) {
        refusal = "the target is a private address";
        reason = StreamReason::kNotAllowed;
        return nullptr;
      }
      return net::make_connect_endpoint(loop(), {hop}, target, std::move(options));
  }
  return nullptr;
}

void GatewaySession::on_stream_ready(net::MuxStream& stream) noexcept {
  send_frame(FrameType::kOpened, stream.id(), {});
}

void GatewaySession::on_stream_closed(net::MuxStream& stream) noexcept {
  services_.metrics->streams_open.fetch_sub(1, std::memory_order_relaxed);
  if (!stream.ready()) services_.metrics->open_failures.fetch_add(1, std::memory_order_relaxed);
  if (draining_ && stream_count() <= 1) {
    loop().defer([this, alive = std::weak_ptr<bool>(alive_)] {
      if (!alive.expired() && !closed() && stream_count() == 0) close_connection(CloseCode::kGoingAway, "drained");
    });
  }
}

void GatewaySession::on_bytes(std::uint64_t to_endpoint, std::uint64_t from_endpoint) noexcept {
  bytes_up_ += to_endpoint;
  bytes_down_ += from_endpoint;
  if (to_endpoint) services_.metrics->bytes_up.fetch_add(to_endpoint, std::memory_order_relaxed);
  if (from_endpoint) services_.metrics->bytes_down.fetch_add(from_endpoint, std::memory_order_relaxed);
}

void GatewaySession::on_closed(std::string_view why) noexcept {
  services_.metrics->connections_open.fetch_sub(1, std::memory_order_relaxed);
  if (state_ == State::kWelcomed) {
    auto seconds = std::chrono::duration<double>(net::Clock::now() - accepted_at_).count();
    log::info("session ended", {{"session", session_id_},
                                {"device_id", verdict_.device_id},
                                {"bytes_up", bytes_up_},
                                {"bytes_down", bytes_down_},
                                {"streams", streams_},
                                {"seconds", seconds},
                                {"why", std::string(why)}});
  } else if (state_ == State::kHandshake) {
    if (why.starts_with("TLS")) services_.metrics->tls_failures.fetch_add(1, std::memory_order_relaxed);
    log::debug("connection ended before the upgrade", {{"peer", peer_}, {"why", std::string(why)}});
  }
  auto done = on_done_;
  if (done) done(this);
}

void GatewaySession::on_protocol_error(tunnel::CloseCode code, std::string_view why) noexcept {
  services_.metrics->protocol_errors.fetch_add(1, std::memory_order_relaxed);
  log::info("closing a connection for a protocol error",
            {{"peer", peer_}, {"code", static_cast<int>(code)}, {"why", std::string(why)}, {"session", session_id_}});
}

void GatewaySession::on_bad_upgrade(std::string_view why) noexcept {
  services_.metrics->upgrade_failures.fetch_add(1, std::memory_order_relaxed);
  log::debug("refused a malformed upgrade request", {{"peer", peer_}, {"why", std::string(why)}});
}

void GatewaySession::drain(std::chrono::seconds drain_for) noexcept {
  if (closed() || draining_) return;
  draining_ = true;
  if (state_ != State::kWelcomed) {
    close_connection(CloseCode::kGoingAway, "the gateway is draining");
    return;
  }
  Json goaway = {{"reason", "going_away"},
                 {"detail", "the gateway is restarting; open new streams on a new connection"},
                 {"drain_seconds", drain_for.count()}};
  send_json(FrameType::kGoaway, goaway.dump());
  if (stream_count() == 0) close_connection(CloseCode::kGoingAway, "drained");
}

void GatewaySession::force_close() noexcept {
  if (!closed()) close_connection(CloseCode::kGoingAway, "drain time is over");
}

}  // namespace httvps::gateway
