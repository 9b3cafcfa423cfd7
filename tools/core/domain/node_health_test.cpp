#include "core/domain/node_health.hpp"

#include <catch2/catch.hpp>

using namespace httvps::domain;

namespace {
HealthState run(HealthState s, const char* probes, const HealthPolicy& p) {
  for (const char* c = probes; *c != '\0'; ++c) s = next_health(s, *c == '+', p);
  return s;
}
}  // namespace

TEST_CASE("an up node is degraded by its first failed probe and down after N in a row", "[domain][health]") {
  HealthPolicy p{3, 2};
  HealthState up{"up", 0, 5};
  CHECK(next_health(up, false, p) == HealthState{"degraded", 1, 0});
  CHECK(run(up, "--", p).health == "degraded");
  CHECK(run(up, "---", p) == HealthState{"down", 3, 0});
  CHECK(run(up, "-----", p) == HealthState{"down", 5, 0});
}

TEST_CASE("a failure streak broken by a success starts again", "[domain][health]") {
  HealthPolicy p{3, 2};
  HealthState s = run({"up", 0, 0}, "--+--", p);
  CHECK(s.health == "degraded");
  CHECK(s.consecutive_failures == 2);
  CHECK(run(s, "-", p).health == "down");
}

TEST_CASE("a down or degraded node comes back up only after M successes in a row", "[domain][health]") {
  HealthPolicy p{3, 2};
  HealthState down{"down", 7, 0};
  CHECK(next_health(down, true, p) == HealthState{"down", 0, 1});
  CHECK(run(down, "++", p) == HealthState{"up", 0, 2});
  CHECK(run(down, "+-+", p).health == "down");
  CHECK(run({"degraded", 1, 0}, "+", p).health == "degraded");
  CHECK(run({"degraded", 1, 0}, "++", p).health == "up");
  HealthPolicy quick{1, 1};
  CHECK(next_health({"up", 0, 0}, false, quick).health == "down");
  CHECK(next_health({"down", 1, 0}, true, quick).health == "up");
}

TEST_CASE("a node never probed is up at its first success and degraded at its first failure", "[domain][health]") {
  HealthPolicy p{3, 2};
  CHECK(next_health({}, true, p) == HealthState{"up", 0, 1});
  CHECK(next_health({}, false, p) == HealthState{"degraded", 1, 0});
  CHECK(next_health({"bogus", 0, 0}, true, p).health == "up");
}

TEST_CASE("policies below one act as one", "[domain][health]") {
  HealthPolicy p{0, -4};
  CHECK(next_health({"up", 0, 0}, false, p).health == "down");
  CHECK(next_health({"down", 3, 0}, true, p).health == "up");
}
