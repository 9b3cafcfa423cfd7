#include <catch2/catch.hpp>

#include "view_model.hpp"

using namespace panel;
using httvps::contract::Area;
using nlohmann::json;

TEST_CASE("routes parse from the location hash and print back", "[panel]") {
  struct Case {
    const char* hash;
    const char* page;
    const char* key;
    std::map<std::string, std::string> params;
  };
  const Case cases[] = {
      {"", "dashboard", "", {}},
      {"#/", "dashboard", "", {}},
      {"#/users", "users", "", {}},
      {"#/users/alice%40example.org", "users", "alice@example.org", {}},
      {"#/users?q=al+x&sort=-used&page=3", "users", "", {{"q", "al x"}, {"sort", "-used"}, {"page", "3"}}},
      {"#/devices/new", "devices", "new", {}},
      {"#/login?expired=1", "login", "", {{"expired", "1"}}},
      {"#/users?=x&q=%zz", "users", "", {{"q", "%zz"}}},
  };
  for (const auto& c : cases) {
    INFO(c.hash);
    Route r = parse_route(c.hash);
    CHECK(r.page == c.page);
    CHECK(r.key == c.key);
    CHECK(r.params == c.params);
    Route again = parse_route(route_hash(r));
    CHECK(again.page == r.page);
    CHECK(again.key == r.key);
    CHECK(again.params == r.params);
  }
}

TEST_CASE("list state: sort toggles, paging resets, URLs carry the parameters", "[panel]") {
  ListState s = list_state_from(parse_route("#/users?q=al&sort=used&page=2"));
  CHECK(s.search == "al");
  CHECK(s.page == 2);
  ListState t = toggle_sort(s, "used");
  CHECK(t.sort == "-used");
  CHECK(t.page == 1);
  CHECK(toggle_sort(t, "used").sort == "used");
  CHECK(toggle_sort(t, "username").sort == "username");
  CHECK(list_url("users", s) == "/api/v1/admin/users?limit=20&offset=20&q=al&sort=used");
  s.search = "a b&c";
  CHECK(list_url("users", s).find("q=a%20b%26c") != std::string::npos);
  CHECK(list_url("audit", s) == "/api/v1/admin/audit?limit=20&offset=20");
  CHECK(list_state_from(parse_route("#/users?page=-4")).page == 1);
  CHECK(list_state_from(parse_route("#/users?page=99999999999")).page == 1);
  Route r = parse_route("#/users?q=x");
  apply_list_state(r, ListState{"", "", 1, 20});
  CHECK(route_hash(r) == "#/users");
}

TEST_CASE("page labels and counts", "[panel]") {
  CHECK(page_label({0, 20, 0, ""}) == "none");
  CHECK(page_label({57, 20, 20, ""}) == "21–40 of 57");
  CHECK(page_label({57, 20, 40, ""}) == "41–57 of 57");
  CHECK(page_count({57, 20, 0, ""}) == 3);
  CHECK(page_count({0, 20, 0, ""}) == 1);
}

TEST_CASE("what each role may change is the server's own table", "[panel]") {
  Session viewer{"t", "v", "viewer", 0}, op{"t", "o", "operator", 0}, owner{"t", "w", "owner", 0}, bad{"t", "x", "root", 0};
  CHECK_FALSE(can_write(viewer, Area::kPlans));
  CHECK_FALSE(can_write(viewer, Area::kUsers));
  CHECK(can_write(op, Area::kUsers));
  CHECK(can_write(op, Area::kKeys));
  CHECK_FALSE(can_write(op, Area::kPlans));
  CHECK(can_write(owner, Area::kAdmins));
  CHECK_FALSE(can_write(bad, Area::kUsers));
}

TEST_CASE("API answers become screens: login on 401, banners for 403, errors and no network", "[panel]") {
  CHECK(classify(200, "{}").outcome == Outcome::kOk);
  CHECK(classify(204, "").outcome == Outcome::kOk);
  Answer net = classify(0, "");
  CHECK(net.outcome == Outcome::kNetwork);
  CHECK(net.message.find("Cannot reach") != std::string::npos);
  Answer expired = classify(401, R"({"status":401,"code":"unauthorized","detail":"admin token has expired","field":"Authorization"})");
  CHECK(expired.outcome == Outcome::kLogin);
  CHECK(expired.message.find("session has ended") != std::string::npos);
  Answer wrong = classify(401, R"({"status":401,"detail":"wrong username or password","field":"password"})");
  CHECK(wrong.message == "wrong username or password");
  Answer forbidden = classify(403, R"({"status":403,"code":"forbidden","detail":"role 'viewer' may not change plans"})");
  CHECK(forbidden.outcome == Outcome::kForbidden);
  CHECK(forbidden.message == "role 'viewer' may not change plans");
  Answer conflict = classify(409, R"({"status":409,"detail":"a plan with name 'x' exists already","field":"name"})");
  CHECK(conflict.outcome == Outcome::kError);
  CHECK(conflict.field == "name");
  CHECK(classify(502, "<html>bad gateway</html>").message == "The server answered 502.");
}

TEST_CASE("forms are checked before sending and become typed JSON bodies", "[panel]") {
  auto plan = form_for("plans");
  REQUIRE(plan);
  auto errors = validate(*plan, {});
  CHECK(errors.count("name") == 1);
  CHECK(validate(*plan, {{"name", "Gold Plan"}}).count("name") == 1);
  CHECK(validate(*plan, {{"name", "gold"}, {"device_limit", "two"}}).count("device_limit") == 1);
  CHECK(validate(*plan, {{"name", "gold"}, {"device_limit", "2"}}).empty());
  json body = form_body(*plan, {{"name", "gold"}, {"device_limit", "2"}, {"data_limit", ""}});
  CHECK(body == json::parse(R"({"name":"gold","device_limit":2})"));
  auto node = form_for("nodes");
  REQUIRE(node);
  CHECK(validate(*node, {{"name", "n"}, {"region", "r"}, {"host", "h"}, {"port", "70000"}, {"kind", "shadowsocks"}}).count("port") == 1);
  CHECK(validate(*node, {{"name", "n"}, {"region", "r"}, {"host", "h"}, {"port", "80"}, {"kind", "telnet"}}).count("kind") == 1);
  auto admin = form_for("admins");
  REQUIRE(admin);
  CHECK(validate(*admin, {{"username", "eve"}, {"role", "viewer"}, {"password", "short"}}).count("password") == 1);
  auto device = form_for("devices");
  REQUIRE(device);
  CHECK(validate(*device, {{"user", "dora"}, {"name", "My Phone"}}).empty());  // device names allow capitals and spaces
  CHECK_FALSE(form_for("audit"));
}

TEST_CASE("cells format bytes, times and nulls", "[panel]") {
  CHECK(format_bytes(json(nullptr)) == "unlimited");
  CHECK(format_bytes(json(0)) == "0 B");
  CHECK(format_bytes(json(999)) == "999 B");
  CHECK(format_bytes(json(1500000000)) == "1.5 GB");
  CHECK(format_bytes(json(50000000000LL)) == "50 GB");
  CHECK(format_bytes(json(250000000000LL)) == "250 GB");
  CHECK(format_cell(json("2026-11-22T10:31:05Z"), "time") == "2026-11-22 10:31");
  CHECK(format_cell(json(nullptr), "time") == "never");
  CHECK(format_cell(json(nullptr), "text") == "—");
  CHECK(format_cell(json(true), "bool") == "yes");
  CHECK(format_cell(json(3), "text") == "3");
}

TEST_CASE("usage bars scale to the largest day and fit the box", "[panel]") {
  json points = json::parse(R"([{"bucket":"2026-11-20T00:00:00Z","billed":100},{"bucket":"2026-11-21T00:00:00Z","billed":400},{"bucket":"2026-11-22T00:00:00Z","billed":0}])");
  auto bars = usage_bars(points, 300, 100);
  REQUIRE(bars.size() == 3);
  CHECK(bars[1].height == Approx(100));
  CHECK(bars[0].height == Approx(25));
  CHECK(bars[2].height == Approx(0));
  for (const auto& b : bars) {
    CHECK(b.x >= 0);
    CHECK(b.x + b.width <= 300.0001);
    CHECK(b.y + b.height == Approx(100));
  }
  CHECK(bars[0].label == "2026-11-20 00:00 · 100 B");
  CHECK(usage_bars(json::array(), 300, 100).empty());
  CHECK(usage_bars(json::parse(R"([{"bucket":"x"}])"), 300, 100)[0].height == 0);
}
