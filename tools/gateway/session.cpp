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

// "198.51.100.7:51234" → "198.51.100.7", "[2001:db8::1]:443" → "2001:db8::1".
std::string peer_host(const std::string& peer) {
  if (!peer.empty() && peer.front() == '[') {
    auto close = peer.find(']');
    return close == std::string::npos ? peer : peer.substr(1, close - 1);
  }
  auto colon = peer.rfind(':');
  return colon == std::string::npos ? peer : peer.substr(0, colon);
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

GatewaySession::~GatewaySession() {
  loop().cancel_timer(hello_timer_);
  loop().cancel_timer(budget_timer_);
  loop().cancel_timer(revalidate_timer_);
}

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
  token_ = hello->token;
  hwid_ = hello->hwid;
  asked_at_ = UsageClock::now();
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
  if (!apply_limits(verdict, asked_at_)) {
    state_ = State::kRefused;
    services_.metrics->refusal("quota");
    log::info("device refused", {{"peer", peer_}, {"reason", "quota"}, {"device_id", verdict.device_id}});
    Json refuse = {{"reason", "quota"}, {"detail", "the data limit of this period is used up"}};
    send_json(FrameType::kRefuse, refuse.dump());
    close_connection(CloseCode::kDeviceRefused, "quota");
    return;
  }
  verdict_ = verdict;
  state_ = State::kWelcomed;
  session_id_ = services_.settings->name + "-" + random_hex(8);
  auto started = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch()).count();
  meter_ = services_.ledger->open_session(session_id_, verdict.device_id, verdict.user_id, peer_host(peer_), started);
  Json welcome = {{"session", session_id_},
                  {"window", services_.settings->window},
                  {"max_streams", services_.settings->max_streams},
                  {"limits", limits_json()}};
  send_json(FrameType::kWelcome, welcome.dump());
  streams_allowed_ = true;
  arm_revalidation(revalidation_delay(verdict));
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
  if (ending_ || quota_used_up()) return fail(StreamReason::kQuota, "the data limit of this period is used up");
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
  Billing billing;
  std::size_t hop = stream.endpoint().connected_hop();
  if (services_.settings->upstream == UpstreamMode::kNodes && hop < verdict_.nodes.size()) {
    billing.node_id = verdict_.nodes[hop].id;
    billing.multiplier_milli = verdict_.nodes[hop].multiplier_milli;
  }
  if (meter_ && !meter_->reserve(billing.node_id, billing.multiplier_milli)) {
    // No counter for it: bytes that cannot be metered are not carried.
    log::error("the meter file is full: refusing a stream", {{"session", session_id_}});
    send_reason(FrameType::kOpenFailed, stream.id(), StreamReason::kUpstream, "the gateway is at capacity");
    reset_stream(stream, false, StreamReason::kUpstream, "");
    return;
  }
  billing_[stream.id()] = billing;
  send_frame(FrameType::kOpened, stream.id(), {});
}

void GatewaySession::on_stream_closed(net::MuxStream& stream) noexcept {
  billing_.erase(stream.id());
  services_.metrics->streams_open.fetch_sub(1, std::memory_order_relaxed);
  if (!stream.ready()) services_.metrics->open_failures.fetch_add(1, std::memory_order_relaxed);
  if (draining_ && stream_count() <= 1) {
    loop().defer([this, alive = std::weak_ptr<bool>(alive_)] {
      if (!alive.expired() && !closed() && stream_count() == 0) close_connection(CloseCode::kGoingAway, "drained");
    });
  }
}

void GatewaySession::on_bytes(net::MuxStream& stream, std::uint64_t to_endpoint, std::uint64_t from_endpoint) noexcept {
  bytes_up_ += to_endpoint;
  bytes_down_ += from_endpoint;
  if (to_endpoint) services_.metrics->bytes_up.fetch_add(to_endpoint, std::memory_order_relaxed);
  if (from_endpoint) services_.metrics->bytes_down.fetch_add(from_endpoint, std::memory_order_relaxed);
  if (!meter_) return;
  Billing billing = billing_of(stream);
  auto up = static_cast<std::int64_t>(to_endpoint);
  auto down = static_cast<std::int64_t>(from_endpoint);
  meter_->add(billing.node_id, billing.multiplier_milli, up, down);
  std::lock_guard lock(account_->mutex);
  account_->unacked_milli += (up + down) * billing.multiplier_milli;
}

void GatewaySession::on_bytes_unsent(net::MuxStream& stream, std::uint64_t to_endpoint) noexcept {
  bytes_up_ -= to_endpoint;
  services_.metrics->bytes_up.fetch_sub(to_endpoint, std::memory_order_relaxed);
  if (!meter_) return;
  Billing billing = billing_of(stream);
  auto up = static_cast<std::int64_t>(to_endpoint);
  meter_->add(billing.node_id, billing.multiplier_milli, -up, 0);
  std::lock_guard lock(account_->mutex);
  account_->unacked_milli -= up * billing.multiplier_milli;
}

GatewaySession::Billing GatewaySession::billing_of(const net::MuxStream& stream) const noexcept {
  auto it = billing_.find(stream.id());
  return it == billing_.end() ? Billing{} : it->second;
}

std::size_t GatewaySession::take_budget(net::MuxStream& stream, net::Direction direction, std::size_t want) noexcept {
  if (ending_) return 0;
  if (!quota_limited_ && !speed_limited_) return want;
  std::int64_t m = billing_of(stream).multiplier_milli;
  std::size_t grant = want;
  bool took_quota = false;
  if (quota_limited_) {
    std::lock_guard lock(account_->mutex);
    if (account_->limited) {
      std::int64_t allowed = account_->remaining_milli / m;
      if (allowed <= 0) {
        ending_ = true;
        loop().defer([this, alive = std::weak_ptr<bool>(alive_)] {
          if (!alive.expired() && !closed()) end_access("quota", "the data limit of this period is used up");
        });
        return 0;
      }
      grant = std::min<std::size_t>(grant, static_cast<std::size_t>(allowed));
      account_->remaining_milli -= static_cast<std::int64_t>(grant) * m;
      took_quota = true;
    }
  }
  if (speed_limited_) {
    auto now = UsageClock::now();
    std::lock_guard lock(device_account_->mutex);
    auto& bucket = direction == net::Direction::kToEndpoint ? device_account_->to_endpoint
                                                            : device_account_->from_endpoint;
    if (bucket) {
      std::size_t g = bucket->take(grant, now);
      if (g < grant) {
        if (took_quota) {
          std::lock_guard account_lock(account_->mutex);
          account_->remaining_milli += static_cast<std::int64_t>(grant - g) * m;
        }
        if (g == 0) {
          services_.metrics->speed_waits.fetch_add(1, std::memory_order_relaxed);
          arm_budget_timer(bucket->wait_for(want, now));
        }
      }
      grant = g;
    }
  }
  return grant;
}

void GatewaySession::return_budget(net::MuxStream& stream, net::Direction direction, std::size_t unused) noexcept {
  if (unused == 0 || (!quota_limited_ && !speed_limited_)) return;
  std::int64_t m = billing_of(stream).multiplier_milli;
  if (quota_limited_) {
    std::lock_guard lock(account_->mutex);
    if (account_->limited) account_->remaining_milli += static_cast<std::int64_t>(unused) * m;
  }
  if (speed_limited_) {
    std::lock_guard lock(device_account_->mutex);
    auto& bucket = direction == net::Direction::kToEndpoint ? device_account_->to_endpoint
                                                            : device_account_->from_endpoint;
    if (bucket) bucket->give_back(unused);
  }
}

void GatewaySession::arm_budget_timer(std::chrono::nanoseconds after) noexcept {
  if (budget_timer_ != 0) return;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(after) + std::chrono::milliseconds(1);
  budget_timer_ = loop().add_timer(ms, [this] {
    budget_timer_ = 0;
    if (!closed() && !ending_) resume_budget();
  });
}

bool GatewaySession::apply_limits(const Verdict& verdict, UsageClock::time_point asked_at) noexcept {
  auto* ledger = services_.ledger;
  if (!account_) account_ = ledger->user(verdict.user_id);
  if (!device_account_) device_account_ = ledger->device(verdict.device_id);
  AnswerLimits limits{verdict.bytes_remaining, verdict.speed_limit_bps};
  auto remaining = ledger->apply_answer(verdict.user_id, verdict.device_id, limits, !verdict.cached, asked_at,
                                        UsageClock::now());
  quota_limited_ = remaining.has_value();
  speed_limited_ = verdict.speed_limit_bps.has_value() && *verdict.speed_limit_bps > 0;
  return !remaining || *remaining > 0;
}

bool GatewaySession::quota_used_up() noexcept {
  if (!quota_limited_) return false;
  std::lock_guard lock(account_->mutex);
  return account_->limited && account_->remaining_milli < kMilli;
}

void GatewaySession::end_access(const std::string& reason, const std::string& detail) noexcept {
  if (closed()) return;
  ending_ = true;
  loop().cancel_timer(revalidate_timer_);
  revalidate_timer_ = 0;
  if (reason == "quota") {
    services_.metrics->quota_exhausted.fetch_add(1, std::memory_order_relaxed);
  } else {
    services_.metrics->access_ended.fetch_add(1, std::memory_order_relaxed);
  }
  log::info("access ended", {{"session", session_id_}, {"device_id", verdict_.device_id}, {"reason", reason}});
  reset_all_streams(reason == "quota" ? StreamReason::kQuota : StreamReason::kNotAllowed, reason);
  if (closed()) return;
  Json goaway = {{"reason", reason}, {"detail", detail}};
  send_json(FrameType::kGoaway, goaway.dump());
  close_connection(CloseCode::kAccessEnded, reason);
}

void GatewaySession::arm_revalidation(std::chrono::milliseconds after) noexcept {
  loop().cancel_timer(revalidate_timer_);
  revalidate_timer_ = loop().add_timer(after, [this] {
    revalidate_timer_ = 0;
    revalidate();
  });
}

void GatewaySession::revalidate() noexcept {
  if (closed() || ending_ || draining_ || revalidating_) return;
  revalidating_ = true;
  asked_at_ = UsageClock::now();
  services_.validator->check(
      loop(), token_, hwid_,
      [this, alive = std::weak_ptr<bool>(alive_)](const Verdict& v) {
        if (alive.expired() || closed()) return;
        revalidating_ = false;
        on_revalidated(v);
      },
      /*fresh=*/true);
}

void GatewaySession::on_revalidated(const Verdict& verdict) noexcept {
  if (ending_) return;
  if (!verdict.allowed && verdict.reason == "unavailable") {
    // Our own control plane is down: the device is not to blame. Try again later.
    services_.metrics->revalidation("unavailable");
    arm_revalidation(std::chrono::seconds(30));
    return;
  }
  if (!verdict.allowed || verdict.device_id != verdict_.device_id) {
    services_.metrics->revalidation("refused");
    end_access(verdict.reason, verdict.detail.empty() ? "access ended" : verdict.detail);
    return;
  }
  services_.metrics->revalidation(verdict.stale ? "stale" : "allowed");
  if (!apply_limits(verdict, asked_at_)) {
    end_access("quota", "the data limit of this period is used up");
    return;
  }
  if (!verdict.nodes.empty()) verdict_.nodes = verdict.nodes;  // for new streams
  verdict_.bytes_remaining = verdict.bytes_remaining;
  verdict_.speed_limit_bps = verdict.speed_limit_bps;
  verdict_.expires_at = verdict.expires_at;
  // The client learns what the answer says now (protocol §8): what is left of the quota on
  // this gateway, the speed limit and the expiry, the same members as WELCOME's limits.
  send_json(FrameType::kLimits, limits_json().dump());
  resume_budget();
  arm_revalidation(revalidation_delay(verdict));
}

nlohmann::json GatewaySession::limits_json() const {
  Json limits = {{"bytes_remaining", nullptr}, {"speed_limit_bps", nullptr}, {"expires_at", nullptr}};
  if (quota_limited_) {
    std::lock_guard lock(account_->mutex);
    limits["bytes_remaining"] = account_->remaining_milli / kMilli;
  }
  if (verdict_.speed_limit_bps) limits["speed_limit_bps"] = *verdict_.speed_limit_bps;
  if (!verdict_.expires_at.empty()) limits["expires_at"] = verdict_.expires_at;
  return limits;
}

std::chrono::milliseconds GatewaySession::revalidation_delay(const Verdict& verdict) const noexcept {
  // At the answer's TTL, or sooner by configuration; never more often than every second.
  auto ttl = std::chrono::seconds(verdict.cache_ttl > 0 ? verdict.cache_ttl : 30);
  auto every = std::min(ttl, services_.settings->revalidate_every);
  return std::max<std::chrono::milliseconds>(every, std::chrono::seconds(1));
}

void GatewaySession::on_closed(std::string_view why) noexcept {
  services_.metrics->connections_open.fetch_sub(1, std::memory_order_relaxed);
  loop().cancel_timer(budget_timer_);
  budget_timer_ = 0;
  loop().cancel_timer(revalidate_timer_);
  revalidate_timer_ = 0;
  if (meter_) meter_->end();
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
