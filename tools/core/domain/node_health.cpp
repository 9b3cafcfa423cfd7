#include "core/domain/node_health.hpp"

#include <algorithm>
#include <limits>

namespace httvps::domain {
namespace {

std::int64_t bump(std::int64_t n) { return n == std::numeric_limits<std::int32_t>::max() ? n : n + 1; }

}  // namespace

HealthState next_health(const HealthState& before, bool success, const HealthPolicy& policy) {
  const std::int64_t down_after = std::max<std::int64_t>(policy.down_after, 1);
  const std::int64_t up_after = std::max<std::int64_t>(policy.up_after, 1);
  HealthState after = before;
  const std::string& h = before.health;
  const bool known = h == "up" || h == "degraded" || h == "down";
  if (success) {
    after.consecutive_failures = 0;
    after.consecutive_successes = bump(before.consecutive_successes);
    if (!known || h == "up") {
      after.health = "up";
    } else if (after.consecutive_successes >= up_after) {
      after.health = "up";
    }
    // degraded or down with too few successes: stays where it is
  } else {
    after.consecutive_successes = 0;
    after.consecutive_failures = bump(before.consecutive_failures);
    if (after.consecutive_failures >= down_after) {
      after.health = "down";
    } else if (h != "down") {
      after.health = "degraded";
    }
  }
  return after;
}

}  // namespace httvps::domain
