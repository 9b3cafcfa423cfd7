#include "core/domain/subscription.hpp"

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

}  // namespace httvps::domain
