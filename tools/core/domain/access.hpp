#pragma once
// "May this device connect now, and with what limits?" — one pure function of plain data
// and the clock. The database layer loads an AccessFacts, calls decide_access(), and
// applies the decision's side effects only when it allows.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/domain/reset.hpp"

namespace httvps::domain {

enum class Reason {
  kOk,
  kInvalidToken,       // no credential matches (decided before facts exist; listed for the wire)
  kCredentialRevoked,  // the token was rotated or revoked
  kDeviceRevoked,
  kUserDisabled,       // an admin disabled the user
  kHwidMismatch,       // the device is bound to another hardware id, or none was presented
  kExpired,            // the subscription's end has come
  kQuota,              // the period's data is used up
  kDeviceLimit,        // more live devices than the plan allows; this one is beyond the limit
  kNoNode,             // the device's region has no node that can serve it
};

// Stable machine-readable name: "ok", "invalid_token", "quota", ...
std::string_view reason_name(Reason reason);

struct AccessFacts {
  std::int64_t now = 0;
  // user and subscription
  std::string user_status;  // active | disabled | limited | expired | on_hold
  std::optional<std::int64_t> started_at;
  std::optional<std::int64_t> expires_at;
  std::int64_t period_started_at = 0;
  std::int64_t used_bytes = 0;  // billed bytes of the current period
  // billed bytes stored (POST /api/v1/usage) but not yet aggregated into used_bytes,
  // observed in the period that is current at NOW
  std::int64_t unaggregated_bytes = 0;
  // plan
  std::optional<std::int64_t> data_limit;
  std::optional<std::int64_t> duration;
  std::optional<std::int64_t> speed_limit_bps;
  std::optional<std::int64_t> device_limit;
  ResetStrategy reset = ResetStrategy::kNone;
  // device and credential
  bool credential_revoked = false;
  bool device_revoked = false;
  std::int64_t device_rank = 1;  // 1-based place among the user's live devices, oldest first
  std::optional<std::string> device_hwid;
  std::optional<std::string> presented_hwid;
  bool region_has_node = true;
  // how long a gateway may cache an allowing answer, at most
  std::int64_t max_cache_seconds = 60;
};

struct AccessDecision {
  bool allowed = false;
  Reason reason = Reason::kOk;
  std::string detail;  // one human sentence

  // Limits, when allowed.
  std::optional<std::int64_t> bytes_remaining;  // nullopt: unlimited
  std::optional<std::int64_t> speed_limit_bps;
  std::optional<std::int64_t> expires_at;
  std::int64_t cache_seconds = 0;  // never past expiry or the next reset

  // Side effects to apply when allowed.
  bool start_subscription = false;  // on_hold → active, clock starts now
  std::int64_t started_at = 0;
  std::optional<std::int64_t> new_expires_at;
  bool reset_usage = false;         // a reset came: period starts anew with zero bytes
  std::int64_t new_period_started_at = 0;
  bool bind_hwid = false;           // first use with a hardware id binds the device to it
  std::string new_status;           // "active" when the stored status must change; else empty
};

AccessDecision decide_access(const AccessFacts& facts);

}  // namespace httvps::domain
