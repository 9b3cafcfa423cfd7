#pragma once
// A node's health from its probes, with hysteresis: one failed probe makes an up node
// degraded, DOWN_AFTER failures in a row make it down, and UP_AFTER successes in a row bring
// a degraded or down node back up. A node that was never probed is unknown; its first success
// makes it up at once (nothing has gone wrong yet). admin_state (active, draining, disabled)
// is the admin's and is not touched here. Pure.

#include <cstdint>
#include <string>

namespace httvps::domain {

struct HealthPolicy {
  std::int64_t down_after = 3;  // consecutive failures: degraded -> down
  std::int64_t up_after = 2;    // consecutive successes: degraded/down -> up
};

struct HealthState {
  std::string health = "unknown";  // unknown | up | degraded | down
  std::int64_t consecutive_failures = 0;
  std::int64_t consecutive_successes = 0;
  bool operator==(const HealthState&) const = default;
};

// The state after one probe with result SUCCESS. Counters: a success resets the failures and
// counts one more success, and the reverse. An unknown health string is treated as unknown.
HealthState next_health(const HealthState& before, bool success, const HealthPolicy& policy);

}  // namespace httvps::domain
