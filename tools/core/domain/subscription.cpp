#include "core/domain/subscription.hpp"

#include <algorithm>

namespace httvps::domain {

SubscriptionStart start_subscription(const PlanTerms& plan, std::int64_t now) {
  SubscriptionStart s;
  s.period_started_at = now;
  if (plan.start_on_first_use) {
    s.status = "on_hold";
    return s;
  }
  s.status = "active";
  s.started_at = now;
  if (plan.duration_seconds) s.expires_at = now + *plan.duration_seconds;
  return s;
}

std::string_view transition_name(Transition t) {
  switch (t) {
    case Transition::kReset: return "reset";
    case Transition::kLimited: return "limited";
    case Transition::kExpired: return "expired";
    case Transition::kReEnabled: return "re-enabled";
    case Transition::kNextPlan: return "next_plan";
  }
  return "reset";
}

namespace {

void start_next_plan(Evolution& e, std::int64_t now) {
  SubscriptionState& a = e.after;
  a.plan = *a.next_plan;
  a.next_plan.reset();
  a.started_at = now;
  a.expires_at = a.plan.duration_seconds ? std::optional<std::int64_t>(now + *a.plan.duration_seconds) : std::nullopt;
  a.period_started_at = now;
  a.used_bytes = 0;
  a.user_status = "active";
  e.usage_zeroed = true;
  e.transitions.push_back(Transition::kNextPlan);
}

bool over_limit(const SubscriptionState& s) { return s.plan.data_limit && s.used_bytes >= *s.plan.data_limit; }

}  // namespace

Evolution evolve_subscription(const SubscriptionState& s, std::int64_t now) {
  Evolution e;
  e.after = s;
  SubscriptionState& a = e.after;
  if (!a.started_at) return e;  // on hold: validate-device starts the clock
  const bool disabled = a.user_status == "disabled";

  if (!disabled && a.expires_at && now >= *a.expires_at) {
    if (a.next_plan) {
      start_next_plan(e, now);
    } else if (a.user_status != "expired") {
      a.user_status = "expired";
      e.transitions.push_back(Transition::kExpired);
    }
  }
  // An expired subscription keeps its last period as it was; the reset comes when it is
  // active again.
  if (a.user_status != "expired" && reset_due(a.plan.reset, *a.started_at, a.period_started_at, now)) {
    a.period_started_at = *period_start(a.plan.reset, *a.started_at, now);
    e.transitions.push_back(Transition::kReset);
    a.used_bytes = 0;
    e.usage_zeroed = true;
  }
  // A next plan set while the user was already limited starts at the next run too.
  if (!disabled && (a.user_status == "active" || a.user_status == "limited") && over_limit(a)) {
    if (a.next_plan) {
      start_next_plan(e, now);
    } else if (a.user_status == "active") {
      a.user_status = "limited";
      e.transitions.push_back(Transition::kLimited);
    }
  }
  if (a.user_status == "limited" && !over_limit(a)) {
    a.user_status = "active";
    e.transitions.push_back(Transition::kReEnabled);
  }
  if (a.user_status == "expired" && (!a.expires_at || now < *a.expires_at)) {
    a.user_status = "active";
    e.transitions.push_back(Transition::kReEnabled);
    if (reset_due(a.plan.reset, *a.started_at, a.period_started_at, now)) {
      a.period_started_at = *period_start(a.plan.reset, *a.started_at, now);
      e.transitions.push_back(Transition::kReset);
      a.used_bytes = 0;
      e.usage_zeroed = true;
    }
    if (over_limit(a)) {
      a.user_status = "limited";
      e.transitions.push_back(Transition::kLimited);
    }
  }
  if (a.user_status == "expired") return e;  // nothing to wait for: an admin's change wakes it

  std::optional<std::int64_t> next = next_reset(a.plan.reset, *a.started_at, now);
  if (a.expires_at && *a.expires_at > now) next = next ? std::min(*next, *a.expires_at) : *a.expires_at;
  e.next_check_at = next;
  return e;
}

}  // namespace httvps::domain
