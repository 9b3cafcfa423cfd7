#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
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

TEST_CASE("every route but health, login and the gateways' reports requires an admin token, and no route is declared twice",
          "[api]") {
  std::set<std::string> seen;
  for (const auto& r : api_routes()) {
    INFO(r.method + " " + r.pattern);
    CHECK(seen.insert(r.method + " " + r.pattern).second);
    // Gateways' usage and heartbeats carry a gateway credential, checked by their handlers.
    const bool open = r.pattern == "/api/v1/health" || r.pattern == "/api/v1/admin/login" ||
                      r.pattern == "/api/v1/usage" || r.pattern == "/api/v1/heartbeat";
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

TEST_CASE("docs/api.md lists every admin route with exactly the roles the code allows", "[api]") {
  std::ifstream in(std::string(HTTVPS_SOURCE_DIR) + "/docs/api.md");
  REQUIRE(in);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  int documented = 0;
  for (const auto& r : api_routes()) {
    if (!r.pattern.starts_with("/api/v1/admin")) continue;
    INFO(r.method + " " + r.pattern);
    const std::string cell = "| `" + r.method + " " + r.pattern + "` | ";
    auto at = text.find(cell);
    REQUIRE(at != std::string::npos);
    ++documented;
    std::string roles = text.substr(at + cell.size(), text.find(" |", at + cell.size()) - at - cell.size());
    std::string expected;
    if (!r.authenticated) {
      expected = "none (no token)";
    } else {
      for (auto role : {contract::Role::kOwner, contract::Role::kAdmin, contract::Role::kOperator, contract::Role::kViewer}) {
        if (contract::may(role, r.area, r.access)) expected += (expected.empty() ? "" : ", ") + std::string(contract::role_name(role));
      }
    }
    CHECK(roles == expected);
  }
  // No stale rows: the table has as many admin endpoints as the code.
  std::size_t rows = 0;
  for (auto pos = text.find("| `"); pos != std::string::npos; pos = text.find("| `", pos + 1)) {
    if (text.compare(text.find(' ', pos + 3) + 1, 13, "/api/v1/admin") == 0) ++rows;
  }
  CHECK(rows == static_cast<std::size_t>(documented));
}
