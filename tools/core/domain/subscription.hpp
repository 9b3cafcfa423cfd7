#pragma once
// Domain rules for subscriptions, as pure functions of plain data and the clock.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/domain/reset.hpp"

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

// ---- Status over time (aggregate-usage) ----

// The terms of a plan that move a subscription between statuses.
struct PlanRules {
  std::int64_t id = 0;
  std::optional<std::int64_t> data_limit;        // billed bytes per period; nullopt: unlimited
  std::optional<std::int64_t> duration_seconds;  // nullopt: never expires
  ResetStrategy reset = ResetStrategy::kNone;
};

// A subscription and its user's status, as stored. Times are Unix seconds.
struct SubscriptionState {
  std::string user_status;  // active | disabled | limited | expired | on_hold
  PlanRules plan;
  std::optional<PlanRules> next_plan;
  std::optional<std::int64_t> started_at;  // nullopt: on hold
  std::optional<std::int64_t> expires_at;
  std::int64_t period_started_at = 0;
  std::int64_t used_bytes = 0;  // billed bytes of the current period
};

enum class Transition {
  kReset,           // a reset came: used bytes back to 0, a new period
  kLimited,         // active -> limited: the data limit is reached
  kExpired,         // active/limited -> expired: expires_at has come
  kReEnabled,       // limited/expired -> active: bytes or time are available again
  kNextPlan,        // the next plan replaced the plan (at expiry or at the limit)
};
std::string_view transition_name(Transition t);  // "reset", "limited", ...

struct Evolution {
  SubscriptionState after;
  std::vector<Transition> transitions;  // in the order they happened; empty: nothing changed
  bool usage_zeroed = false;            // used, upload and download bytes of the period go to 0
  // When to evaluate again: the earlier of the next reset and the expiry still ahead;
  // nullopt: never, unless something changes.
  std::optional<std::int64_t> next_check_at;
};

// What happens to subscription S by NOW, by the rules of its plan:
//   * disabled is the admin's word: the status is never changed (a reset still zeroes the
//     period's bytes); on hold (no started_at) nothing moves until the first connection;
//   * at expires_at (that second is outside the subscription) it expires, or, with a next
//     plan, the next plan starts: plan replaced, next plan cleared, clock and period restart
//     at NOW with zero bytes, status active;
//   * a reset that is due (reset_due, anchored at started_at) zeroes the period's bytes and
//     starts the period that contains NOW;
//   * active with used_bytes >= the data limit becomes limited, or, with a next plan, the
//     next plan starts as above;
//   * limited below the limit (after a reset, a raised limit) and expired with time left
//     (an extended expiry) become active again.
Evolution evolve_subscription(const SubscriptionState& s, std::int64_t now);

}  // namespace httvps::domain
