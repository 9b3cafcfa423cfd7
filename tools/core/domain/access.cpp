#include "core/domain/access.hpp"

#include <algorithm>

namespace httvps::domain {
namespace {

AccessDecision refuse(Reason reason, std::string detail) {
  AccessDecision d;
  d.allowed = false;
  d.reason = reason;
  d.detail = std::move(detail);
  return d;
}

}  // namespace

std::string_view reason_name(Reason reason) {
  switch (reason) {
    case Reason::kOk: return "ok";
    case Reason::kInvalidToken: return "invalid_token";
    case Reason::kCredentialRevoked: return "credential_revoked";
    case Reason::kDeviceRevoked: return "device_revoked";
    case Reason::kUserDisabled: return "user_disabled";
    case Reason::kHwidMismatch: return "hwid_mismatch";
    case Reason::kExpired: return "expired";
    case Reason::kQuota: return "quota";
    case Reason::kDeviceLimit: return "device_limit";
    case Reason::kNoNode: return "no_node";
  }
  return "ok";
}

AccessDecision decide_access(const AccessFacts& f) {
  // Revocations and the admin's word come first: they hold whatever the clock says.
  // A revoked device also has its credentials revoked: name the device, the cause.
  if (f.device_revoked) return refuse(Reason::kDeviceRevoked, "this device was revoked");
  if (f.credential_revoked) return refuse(Reason::kCredentialRevoked, "this credential was revoked or rotated");
  if (f.user_status == "disabled") return refuse(Reason::kUserDisabled, "the user is disabled");
  if (f.device_hwid && (!f.presented_hwid || *f.presented_hwid != *f.device_hwid)) {
    return refuse(Reason::kHwidMismatch, "the device is bound to another hardware id");
  }

  AccessDecision d;
  std::optional<std::int64_t> started = f.started_at;
  std::optional<std::int64_t> expires = f.expires_at;
  // on_hold: the clock starts at the first successful validation, i.e. now.
  if (!started) {
    d.start_subscription = true;
    d.started_at = f.now;
    started = f.now;
    if (f.duration) expires = f.now + *f.duration;
    d.new_expires_at = expires;
  }
  // The subscription ends at expires_at: that second is already outside it.
  if (expires && f.now >= *expires) return refuse(Reason::kExpired, "the subscription has expired");

  std::int64_t used = f.used_bytes;
  std::int64_t period_started = f.period_started_at;
  if (reset_due(f.reset, *started, period_started, f.now)) {
    d.reset_usage = true;
    d.new_period_started_at = *period_start(f.reset, *started, f.now);
    period_started = d.new_period_started_at;
    used = 0;
  }
  used += f.unaggregated_bytes;
  if (f.data_limit && used >= *f.data_limit) return refuse(Reason::kQuota, "the data limit of this period is used up");
  if (f.device_limit && f.device_rank > *f.device_limit) {
    return refuse(Reason::kDeviceLimit, "the plan allows " + std::to_string(*f.device_limit) +
                                            (*f.device_limit == 1 ? " device" : " devices"));
  }
  if (!f.region_has_node) return refuse(Reason::kNoNode, "no node in the device's region can serve it now");

  d.allowed = true;
  d.reason = Reason::kOk;
  d.detail = "allowed";
  if (f.data_limit) d.bytes_remaining = *f.data_limit - used;
  d.speed_limit_bps = f.speed_limit_bps;
  d.expires_at = expires;
  d.bind_hwid = f.presented_hwid.has_value() && !f.device_hwid.has_value();
  if (f.user_status != "active") d.new_status = "active";

  // A cached answer must not outlive the subscription or the period's usage figures.
  std::int64_t ttl = std::max<std::int64_t>(0, f.max_cache_seconds);
  if (expires) ttl = std::min(ttl, *expires - f.now);
  if (auto next = next_reset(f.reset, *started, f.now)) ttl = std::min(ttl, *next - f.now);
  d.cache_seconds = std::max<std::int64_t>(0, ttl);
  (void)period_started;
  return d;
}

}  // namespace httvps::domain
