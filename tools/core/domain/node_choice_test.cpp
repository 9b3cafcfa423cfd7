#include "core/domain/node_choice.hpp"

#include <catch2/catch.hpp>

using namespace httvps::domain;

namespace {
NodeCandidate node(std::int64_t id, const char* health, std::int64_t weight, std::int64_t devices,
                   const char* state = "active") {
  NodeCandidate n;
  n.id = id;
  n.health = health;
  n.weight = weight;
  n.devices = devices;
  n.admin_state = state;
  return n;
}
}  // namespace

TEST_CASE("nodes that are down, draining or disabled never serve", "[domain][nodes]") {
  CHECK_FALSE(choose_node({node(1, "down", 100, 0), node(2, "up", 100, 0, "draining"), node(3, "up", 100, 0, "disabled")}));
  CHECK(choose_node({node(1, "down", 100, 0), node(2, "unknown", 100, 50)}) == 2);
}

TEST_CASE("healthy nodes come first, then the lowest load per weight", "[domain][nodes]") {
  CHECK(choose_node({node(1, "degraded", 100, 0), node(2, "up", 100, 90)}) == 2);
  CHECK(choose_node({node(1, "up", 100, 50), node(2, "up", 300, 120)}) == 2);  // 0.5 vs 0.4
  CHECK(choose_node({node(1, "up", 100, 40), node(2, "up", 100, 40)}) == 1);   // tie → lower id
  CHECK(choose_node({node(1, "up", 0, 0), node(2, "up", 100, 1000)}) == 2);    // weight 0 last
  CHECK(choose_node({node(1, "up", 0, 0)}) == 1);
}

TEST_CASE("latency breaks ties of equal load", "[domain][nodes]") {
  auto a = node(1, "up", 100, 10);
  auto b = node(2, "up", 100, 10);
  a.latency_ms = 80;
  b.latency_ms = 20;
  auto ranked = rank_nodes({a, b});
  REQUIRE(ranked.size() == 2);
  CHECK(ranked[0].id == 2);
}
