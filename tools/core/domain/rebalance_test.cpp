#include "core/domain/rebalance.hpp"

#include <catch2/catch.hpp>

using namespace httvps::domain;

namespace {
RegionNode rn(std::int64_t id, std::int64_t region, const char* health, std::int64_t devices,
              const char* state = "active", const char* kind = "shadowsocks", std::int64_t weight = 100) {
  RegionNode n;
  n.node.id = id;
  n.node.health = health;
  n.node.admin_state = state;
  n.node.devices = devices;
  n.node.weight = weight;
  n.region_id = region;
  n.kind = kind;
  return n;
}
DeviceAssignment dev(std::int64_t id, std::int64_t region, std::optional<std::int64_t> node) {
  return {id, region, node};
}
}  // namespace

TEST_CASE("devices stay on a node that can serve, even a degraded one", "[domain][rebalance]") {
  auto plan = plan_rebalance({rn(1, 1, "degraded", 1), rn(2, 1, "up", 0)}, {dev(10, 1, 1)});
  CHECK(plan.moves.empty());
  CHECK(plan.stranded.empty());
}

TEST_CASE("devices leave a down, draining or disabled node for the best node of their region",
          "[domain][rebalance]") {
  auto plan = plan_rebalance({rn(1, 1, "down", 2), rn(2, 1, "up", 0), rn(3, 2, "up", 0), rn(4, 1, "up", 0, "draining"),
                              rn(5, 1, "up", 1, "disabled")},
                             {dev(10, 1, 1), dev(11, 1, 1), dev(12, 1, 4), dev(13, 1, 5)});
  REQUIRE(plan.moves.size() == 4);
  CHECK(plan.moves[0] == Move{10, 1, 1, 2, "node down"});
  CHECK(plan.moves[1] == Move{11, 1, 1, 2, "node down"});
  CHECK(plan.moves[2] == Move{12, 1, 4, 2, "node draining"});
  CHECK(plan.moves[3] == Move{13, 1, 5, 2, "node disabled"});
}

TEST_CASE("moved devices count into their new node's load, so they spread by weight", "[domain][rebalance]") {
  auto plan = plan_rebalance({rn(1, 1, "down", 4), rn(2, 1, "up", 0, "active", "shadowsocks", 100),
                              rn(3, 1, "up", 0, "active", "shadowsocks", 300)},
                             {dev(1, 1, 1), dev(2, 1, 1), dev(3, 1, 1), dev(4, 1, 1)});
  REQUIRE(plan.moves.size() == 4);
  int to3 = 0;
  for (const auto& m : plan.moves) to3 += m.to == 3 ? 1 : 0;
  CHECK(to3 == 3);
}

TEST_CASE("devices with no node get one; a device whose node left its region moves", "[domain][rebalance]") {
  auto plan = plan_rebalance({rn(1, 1, "up", 0), rn(2, 2, "up", 0)}, {dev(5, 1, std::nullopt), dev(6, 1, 2)});
  REQUIRE(plan.moves.size() == 2);
  CHECK(plan.moves[0] == Move{5, 1, std::nullopt, 1, "no node"});
  CHECK(plan.moves[1] == Move{6, 1, 2, 1, "node in another region"});
}

TEST_CASE("a region with no node that can serve is reported and nothing moves", "[domain][rebalance]") {
  auto plan = plan_rebalance({rn(1, 1, "down", 2), rn(2, 1, "up", 0, "disabled"), rn(3, 2, "up", 0)},
                             {dev(1, 1, 1), dev(2, 1, 1), dev(3, 2, 3)});
  CHECK(plan.moves.empty());
  REQUIRE(plan.stranded.size() == 1);
  CHECK(plan.stranded[0] == Stranded{1, 2});
}

TEST_CASE("a moving device keeps its node's kind when its region has one", "[domain][rebalance]") {
  auto plan = plan_rebalance({rn(1, 1, "down", 1, "active", "vless"), rn(2, 1, "up", 0, "active", "shadowsocks"),
                              rn(3, 1, "degraded", 5, "active", "vless")},
                             {dev(1, 1, 1)});
  REQUIRE(plan.moves.size() == 1);
  CHECK(plan.moves[0].to == 3);
  auto other = plan_rebalance({rn(1, 1, "down", 1, "active", "vless"), rn(2, 1, "up", 0)}, {dev(1, 1, 1)});
  REQUIRE(other.moves.size() == 1);
  CHECK(other.moves[0].to == 2);
}
