#include <catch2/catch.hpp>

#include "core/admin/command.hpp"
#include "core/admin/resources.hpp"
#include "core/domain/subscription.hpp"
#include "core/error.hpp"

using namespace httvps;
using namespace httvps::admin;

TEST_CASE("a plan record gets defaults and typed values", "[admin]") {
  auto rec = apply_inputs(resource("plan"), {}, {{"name", "pro"}, {"data_limit", "50GB"}, {"duration", "30d"}}, true);
  CHECK(rec["name"] == "pro");
  CHECK(rec["data_limit"] == 50'000'000'000LL);
  CHECK(rec["duration"] == 2592000);
  CHECK(rec["device_limit"] == 1);
  CHECK(rec["speed_limit"].is_null());
  CHECK(rec["reset_strategy"] == "none");
  CHECK(rec["start_on_first_use"] == false);
}

TEST_CASE("'unlimited' clears a nullable limit", "[admin]") {
  nlohmann::json base = {{"data_limit", 100}, {"device_limit", 3}};
  auto rec = apply_inputs(resource("plan"), base, {{"data_limit", "unlimited"}, {"device_limit", "none"}}, false);
  CHECK(rec["data_limit"].is_null());
  CHECK(rec["device_limit"].is_null());
}

TEST_CASE("required fields must be given on create only", "[admin]") {
  CHECK_THROWS_WITH(apply_inputs(resource("node"), {}, {{"name", "n1"}, {"region", "eu"}, {"host", "h"}}, true),
                    Catch::Contains("--port"));
  CHECK_NOTHROW(apply_inputs(resource("node"), {{"name", "n1"}}, {{"weight", "5"}}, false));
}

TEST_CASE("bad field values name the field", "[admin]") {
  struct Case {
    const char* resource;
    const char* field;
    const char* value;
  };
  const Case cases[] = {
      {"plan", "name", "Bad Name"},        {"plan", "reset_strategy", "fortnight"}, {"plan", "device_limit", "0"},
      {"plan", "device_limit", "3x"},      {"plan", "data_limit", "lots"},          {"node", "port", "70000"},
      {"node", "usage_multiplier", "-1"},  {"node", "method", "rc4-md5"},           {"user", "expires_at", "soon"},
      {"plan", "start_on_first_use", "maybe"}, {"plan", "description", "a\x01" "b"}, {"user", "telegram_id", "0"},
  };
  for (const auto& c : cases) {
    INFO(c.resource << "." << c.field << " = " << c.value);
    try {
      apply_inputs(resource(c.resource), {}, {{c.field, c.value}}, false);
      FAIL("accepted");
    } catch (const Failure& e) {
      CHECK(e.code() == ExitCode::kUsage);
      CHECK(e.field() == c.field);
    }
  }
}

TEST_CASE("unknown fields and resources are refused", "[admin]") {
  CHECK_THROWS_WITH(apply_inputs(resource("plan"), {}, {{"colour", "red"}}, false), Catch::Contains("unknown field"));
  CHECK_THROWS_AS(resource("planet"), Failure);
}

TEST_CASE("every resource has a key field among its fields or is keyed by id", "[admin]") {
  for (const auto& r : resources()) {
    INFO(r.name);
    CHECK((r.key_field == "id" || find_field(r, r.key_field) != nullptr));
    CHECK_FALSE(r.columns.empty());
  }
}

TEST_CASE("a subscription starts now, or on hold when the plan says so", "[domain][subscription]") {
  auto s = domain::start_subscription({2592000, false}, 1000);
  CHECK(s.status == "active");
  CHECK(s.started_at == 1000);
  CHECK(s.expires_at == 1000 + 2592000);
  auto forever = domain::start_subscription({std::nullopt, false}, 1000);
  CHECK_FALSE(forever.expires_at);
  auto held = domain::start_subscription({2592000, true}, 1000);
  CHECK(held.status == "on_hold");
  CHECK_FALSE(held.started_at);
  CHECK_FALSE(held.expires_at);
  CHECK(held.period_started_at == 1000);
}

TEST_CASE("text output makes sizes, durations and rates readable", "[admin]") {
  auto h = humanize({{"data_limit", 1073741824}, {"duration", 86400}, {"speed_limit", nullptr}, {"device_limit", nullptr}});
  CHECK(h["data_limit"] == "1.00 GiB");
  CHECK(h["duration"] == "1d");
  CHECK(h["speed_limit"] == "unlimited");
  CHECK(h["device_limit"] == "unlimited");
}
