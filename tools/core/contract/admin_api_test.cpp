#include <catch2/catch.hpp>

#include "core/contract/admin_api.hpp"

using namespace httvps::contract;
using nlohmann::json;

TEST_CASE("a login request needs a string username and password and nothing else", "[contract]") {
  struct Case {
    const char* body;
    const char* field;  // "" when it parses
  };
  const Case cases[] = {
      {R"({"username":"a","password":"p"})", ""},
      {R"({"username":"a"})", "password"},
      {R"({"password":"p"})", "username"},
      {R"({"username":1,"password":"p"})", "username"},
      {R"({"username":"a","password":"p","role":"owner"})", "role"},
      {R"([1,2])", "body"},
      {R"("text")", "body"},
  };
  for (const auto& c : cases) {
    INFO(c.body);
    LoginRequest r;
    auto e = parse(json::parse(c.body), r);
    if (*c.field == '\0') {
      CHECK_FALSE(e);
    } else {
      REQUIRE(e);
      CHECK(e->field == c.field);
    }
  }
}

TEST_CASE("bulk requests name a known action, dry-run by default, extend_by only for extend_expiry", "[contract]") {
  BulkRequest r;
  REQUIRE_FALSE(parse(json::parse(R"({"action":"disable","filter":{"status":"expired"}})"), r));
  CHECK(r.dry_run);
  CHECK(r.filter.status == "expired");
  CHECK_FALSE(r.filter.plan);
  const std::pair<const char*, const char*> bad[] = {
      {R"({"action":"explode"})", "action"},
      {R"({"action":"extend_expiry"})", "extend_by"},
      {R"({"action":"disable","extend_by":"30d"})", "extend_by"},
      {R"({"action":"disable","filter":{"role":"x"}})", "role"},
      {R"({"action":"disable","filter":[]})", "filter"},
      {R"({"action":"disable","dry_run":"no"})", "dry_run"},
  };
  for (const auto& [body, field] : bad) {
    INFO(body);
    BulkRequest b;
    auto e = parse(json::parse(body), b);
    REQUIRE(e);
    CHECK(e->field == field);
  }
}

TEST_CASE("contract types survive a round trip through JSON", "[contract]") {
  LoginResponse lr{"t.k.n", "Bearer", 100, 60, "alice", "viewer"};
  LoginResponse lr2;
  REQUIRE_FALSE(parse(to_json(lr), lr2));
  CHECK(lr2.token == lr.token);
  CHECK(lr2.role == "viewer");
  BulkRequest br{"extend_expiry", {std::string("active"), std::nullopt, std::string("bo")}, std::string("7d"), false};
  BulkRequest br2;
  REQUIRE_FALSE(parse(to_json(br), br2));
  CHECK(br2.extend_by == "7d");
  CHECK(br2.filter.search == "bo");
  CHECK_FALSE(br2.dry_run);
  BulkResult res{"disable", false, 3, 2, {"a", "b"}};
  BulkResult res2;
  REQUIRE_FALSE(parse(to_json(res), res2));
  CHECK(res2.sample.size() == 2);
  CHECK(res2.changed == 2);
}

TEST_CASE("a problem document parses with only its status required", "[contract]") {
  Problem p;
  REQUIRE_FALSE(parse(json::parse(R"({"status":403,"code":"forbidden","detail":"no"})"), p));
  CHECK(p.status == 403);
  CHECK(p.code == "forbidden");
  CHECK(parse(json::parse(R"({"code":"x"})"), p));
}
