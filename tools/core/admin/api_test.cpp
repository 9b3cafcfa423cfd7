#include <catch2/catch.hpp>

#include <set>

#include "core/admin/api_routes.hpp"
#include "core/testing/failure.hpp"

using namespace httvps;
using namespace httvps::admin;

TEST_CASE("route patterns match whole paths and capture one segment per parameter", "[api]") {
  std::map<std::string, std::string> p;
  CHECK(match_route("/api/v1/admin/users/{key}", "/api/v1/admin/users/alice", p));
  CHECK(p["key"] == "alice");
  p.clear();
  CHECK(match_route("/api/v1/admin/devices/{key}/rotate", "/api/v1/admin/devices/42/rotate", p));
  CHECK(p["key"] == "42");
  CHECK_FALSE(match_route("/api/v1/admin/users/{key}", "/api/v1/admin/users/", p));
  CHECK_FALSE(match_route("/api/v1/admin/users/{key}", "/api/v1/admin/users/a/b", p));
  CHECK_FALSE(match_route("/api/v1/admin/users", "/api/v1/admin/users/", p));
  CHECK_FALSE(match_route("/api/v1/admin/users", "/api/v1/admin/user", p));
}

TEST_CASE("every route but health and login requires a token, and no route is declared twice", "[api]") {
  std::set<std::string> seen;
  for (const auto& r : api_routes()) {
    INFO(r.method + " " + r.pattern);
    CHECK(seen.insert(r.method + " " + r.pattern).second);
    const bool open = r.pattern == "/api/v1/health" || r.pattern == "/api/v1/admin/login";
    CHECK(r.authenticated == !open);
    if (r.method == "GET" || r.method == "HEAD") CHECK(r.access == contract::Access::kRead);
    if (r.method == "POST" || r.method == "PATCH" || r.method == "DELETE") CHECK(r.access == contract::Access::kWrite);
  }
}

TEST_CASE("JSON bodies become the resource layer's text inputs", "[api]") {
  auto in = inputs_from_json(nlohmann::json::parse(R"({"a":"x","b":3,"c":true,"d":null,"expires_at":null,"e":1.5})"));
  CHECK(in["a"] == "x");
  CHECK(in["b"] == "3");
  CHECK(in["c"] == "true");
  CHECK(in["d"] == "unlimited");
  CHECK(in["expires_at"] == "never");
  CHECK(in["e"] == "1.5");
  CHECK(testing::code_of([] { inputs_from_json(nlohmann::json::parse(R"({"a":[1]})")); }) == ExitCode::kUsage);
}
