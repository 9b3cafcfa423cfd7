#pragma once
// One client connection on the gateway: the WebSocket upgrade, HELLO and the device check,
// WELCOME or REFUSE, then streams opened to the upstream the configuration names
// (docs/protocol.md, docs/gateway.md).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include <nlohmann/json_fwd.hpp>

#include "gateway/metrics.hpp"
#include "gateway/resolver.hpp"
#include "gateway/usage.hpp"
#include "gateway/validator.hpp"
#include "net/mux.hpp"

namespace httvps::gateway {

enum class UpstreamMode { kNodes, kDirect, kEcho, kDiscard };

// What every session of a gateway shares; read-only after start-up except the services.
struct SessionSettings {
  std::string name;  // session id prefix
  std::string path = "/tunnel";
  std::uint32_t window = 256 * 1024;
  std::uint32_t max_streams = 1024;
  UpstreamMode upstream = UpstreamMode::kNodes;
  bool allow_private_targets = false;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::seconds hello_timeout{10};
  std::chrono::seconds revalidate_every{60};  // at most this long between checks of a connection
};

struct SessionServices {
  const SessionSettings* settings;
  Metrics* metrics;
  Validator* validator;
  Resolver* resolver;
  Ledger* ledger;
};

class GatewaySession final : public net::MuxConnection {
 public:
  // ON_DONE runs (on the loop) once the connection is over; the owner destroys it then.
  GatewaySession(net::EventLoop& loop, std::unique_ptr<net::Transport> transport, SessionServices services,
                 std::string peer, std::function<void(GatewaySession*)> on_done) noexcept;
  ~GatewaySession() override;

  // SIGTERM: GOAWAY, no new streams; closes (1001) once its streams are done.
  void drain(std::chrono::seconds drain_for) noexcept;
  // The drain deadline passed: close now.
  void force_close() noexcept;

 protected:
  bool on_upgrade_request(const tunnel::UpgradeRequest& request) noexcept override;
  void on_upgraded() noexcept override;
  bool on_control(const tunnel::TunnelFrame& frame) noexcept override;
  void on_stream_ready(net::MuxStream& stream) noexcept override;
  void on_stream_closed(net::MuxStream& stream) noexcept override;
  void on_bytes(net::MuxStream& stream, std::uint64_t to_endpoint, std::uint64_t from_endpoint) noexcept override;
  void on_bytes_unsent(net::MuxStream& stream, std::uint64_t to_endpoint) noexcept override;
  std::size_t take_budget(net::MuxStream& stream, net::Direction direction, std::size_t want) noexcept override;
  void return_budget(net::MuxStream& stream, net::Direction direction, std::size_t unused) noexcept override;
  void on_closed(std::string_view why) noexcept override;
  void on_protocol_error(tunnel::CloseCode code, std::string_view why) noexcept override;
  void on_bad_upgrade(std::string_view why) noexcept override;

 private:
  enum class State { kHandshake, kAwaitHello, kValidating, kWelcomed, kRefused };

  bool on_hello(const tunnel::TunnelFrame& frame) noexcept;
  void on_verdict(const Verdict& verdict) noexcept;
  bool on_open(const tunnel::TunnelFrame& frame) noexcept;
  // Limits: the answer's limits applied to the ledger; false when the quota is used up.
  bool apply_limits(const Verdict& verdict, UsageClock::time_point asked_at) noexcept;
  bool quota_used_up() noexcept;
  // Ends the connection for REASON (quota, or a re-validation's refusal): every stream
  // reset, GOAWAY with the reason, close 4003.
  void end_access(const std::string& reason, const std::string& detail) noexcept;
  void arm_revalidation(std::chrono::milliseconds after) noexcept;
  std::chrono::milliseconds revalidation_delay(const Verdict& verdict) const noexcept;
  void revalidate() noexcept;
  void on_revalidated(const Verdict& verdict) noexcept;
  // WELCOME's and LIMITS' limits: bytes left on this gateway's account (null: unlimited),
  // the speed limit and the expiry of the current answer.
  nlohmann::json limits_json() const;
  void arm_budget_timer(std::chrono::nanoseconds after) noexcept;

  struct Billing {
    std::int64_t node_id = 0;  // 0: direct
    std::int64_t multiplier_milli = kMilli;
  };
  Billing billing_of(const net::MuxStream& stream) const noexcept;

  std::unique_ptr<net::Endpoint> make_upstream(const tunnel::TargetAddress& target, std::string& refusal,
                                               tunnel::StreamReason& reason) noexcept;

  SessionServices services_;
  std::string peer_;
  std::function<void(GatewaySession*)> on_done_;
  State state_ = State::kHandshake;
  net::Clock::time_point accepted_at_;
  net::EventLoop::TimerId hello_timer_ = 0;
  std::string session_id_;
  std::uint32_t client_window_ = tunnel::kDefaultWindow;  // HELLO's window
  Verdict verdict_;
  bool draining_ = false;
  std::uint64_t bytes_up_ = 0;
  std::uint64_t bytes_down_ = 0;
  std::uint64_t streams_ = 0;
  // Metering and limits.
  std::string token_;
  std::string hwid_;
  std::shared_ptr<UserAccount> account_;
  std::shared_ptr<DeviceAccount> device_account_;
  std::shared_ptr<SessionMeter> meter_;
  bool quota_limited_ = false;
  bool speed_limited_ = false;
  bool ending_ = false;
  std::unordered_map<std::uint32_t, Billing> billing_;
  net::EventLoop::TimerId budget_timer_ = 0;
  net::EventLoop::TimerId revalidate_timer_ = 0;
  bool revalidating_ = false;
  UsageClock::time_point asked_at_{};  // when the pending validation was asked
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace httvps::gateway
