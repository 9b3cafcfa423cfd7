#pragma once
// Domain rules for subscriptions, as pure functions of plain data and the clock.

#include <cstdint>
#include <optional>
#include <string>

namespace httvps::domain {

struct PlanTerms {
  std::optional<std::int64_t> duration_seconds;  // nullopt: never expires
  bool start_on_first_use = false;
};

struct SubscriptionStart {
  std::string status;                        // "active" or "on_hold"
  std::optional<std::int64_t> started_at;    // unix seconds; nullopt while on hold
  std::optional<std::int64_t> expires_at;    // unix seconds; nullopt: never (or not yet known)
  std::int64_t period_started_at;
};

// How a subscription to PLAN begins at NOW: on hold (clock starts at first connection)
// when the plan says so, else active from now until now + duration.
SubscriptionStart start_subscription(const PlanTerms& plan, std::int64_t now);

}  // namespace httvps::domain
