#include "core/domain/subscription.hpp"

#include <catch2/catch.hpp>

#include "core/units.hpp"

using namespace httvps;
using namespace httvps::domain;

namespace {

std::int64_t at(const char* text) { return units::parse_timestamp(text); }

SubscriptionState monthly(std::int64_t limit) {
  SubscriptionState s;
  s.user_status = "active";
  s.plan = PlanRules{1, limit, std::nullopt, ResetStrategy::kMonth};
  s.started_at = at("2026-11-10T08:00:00Z");
  s.period_started_at = at("2026-11-10T08:00:00Z");
  return s;
}

std::vector<std::string> names(const Evolution& e) {
  std::vector<std::string> out;
  for (auto t : e.transitions) out.emplace_back(transition_name(t));
  return out;
}

}  // namespace

TEST_CASE("an active subscription at its data limit becomes limited, below it nothing moves", "[domain][subscription]") {
  auto s = monthly(1000);
  s.used_bytes = 999;
  auto e = evolve_subscription(s, at("2026-11-20T00:00:00Z"));
  CHECK(e.transitions.empty());
  CHECK(e.next_check_at == at("2026-12-01T00:00:00Z"));
  s.used_bytes = 1000;
  e = evolve_subscription(s, at("2026-11-20T00:00:00Z"));
  CHECK(names(e) == std::vector<std::string>{"limited"});
  CHECK(e.after.user_status == "limited");
  CHECK_FALSE(e.usage_zeroed);
}

TEST_CASE("a reset zeroes the period and re-enables a limited user", "[domain][subscription]") {
  auto s = monthly(1000);
  s.user_status = "limited";
  s.used_bytes = 5000;
  auto e = evolve_subscription(s, at("2026-11-30T23:59:59Z"));
  CHECK(e.transitions.empty());  // the reset has not come yet
  e = evolve_subscription(s, at("2026-12-01T00:00:00Z"));
  CHECK(names(e) == std::vector<std::string>{"reset", "re-enabled"});
  CHECK(e.after.user_status == "active");
  CHECK(e.after.used_bytes == 0);
  CHECK(e.after.period_started_at == at("2026-12-01T00:00:00Z"));
  CHECK(e.usage_zeroed);
  CHECK(e.next_check_at == at("2027-01-01T00:00:00Z"));
  // Evaluating again at the same time changes nothing: the job may run twice.
  CHECK(evolve_subscription(e.after, at("2026-12-01T00:00:00Z")).transitions.empty());
}

TEST_CASE("month-rolling resets on the anchor's day, clamped to short months", "[domain][subscription]") {
  SubscriptionState s = monthly(100);
  s.plan.reset = ResetStrategy::kMonthRolling;
  s.started_at = s.period_started_at = at("2027-01-31T10:00:00Z");
  s.used_bytes = 100;
  s.user_status = "limited";
  CHECK(evolve_subscription(s, at("2027-02-28T09:59:59Z")).transitions.empty());
  auto e = evolve_subscription(s, at("2027-02-28T10:00:00Z"));
  CHECK(names(e) == std::vector<std::string>{"reset", "re-enabled"});
  CHECK(e.after.period_started_at == at("2027-02-28T10:00:00Z"));
  CHECK(e.next_check_at == at("2027-03-31T10:00:00Z"));
}

TEST_CASE("expiry ends a subscription at expires_at and an extended one comes back", "[domain][subscription]") {
  auto s = monthly(1000);
  s.plan.reset = ResetStrategy::kNone;
  s.expires_at = at("2026-12-10T08:00:00Z");
  auto e = evolve_subscription(s, at("2026-12-10T07:59:59Z"));
  CHECK(e.transitions.empty());
  CHECK(e.next_check_at == at("2026-12-10T08:00:00Z"));
  e = evolve_subscription(s, at("2026-12-10T08:00:00Z"));
  CHECK(names(e) == std::vector<std::string>{"expired"});
  CHECK_FALSE(e.next_check_at.has_value());
  auto expired = e.after;
  CHECK(evolve_subscription(expired, at("2027-01-01T00:00:00Z")).transitions.empty());
  expired.expires_at = at("2027-06-01T00:00:00Z");  // an admin extends it
  e = evolve_subscription(expired, at("2027-01-01T00:00:00Z"));
  CHECK(names(e) == std::vector<std::string>{"re-enabled"});
}

TEST_CASE("the next plan starts at expiry or at the limit, with a fresh period", "[domain][subscription]") {
  auto s = monthly(1000);
  s.expires_at = at("2026-12-10T08:00:00Z");
  s.next_plan = PlanRules{2, 5000, 30 * 86400, ResetStrategy::kNone};
  s.used_bytes = 10;
  std::int64_t now = at("2026-12-10T08:00:00Z");
  auto e = evolve_subscription(s, now);
  CHECK(names(e) == std::vector<std::string>{"next_plan"});
  CHECK(e.after.plan.id == 2);
  CHECK_FALSE(e.after.next_plan.has_value());
  CHECK(e.after.started_at == now);
  CHECK(e.after.expires_at == now + 30 * 86400);
  CHECK(e.after.period_started_at == now);
  CHECK(e.after.used_bytes == 0);
  CHECK(e.usage_zeroed);
  CHECK(e.after.user_status == "active");

  s.expires_at.reset();
  s.used_bytes = 1000;
  e = evolve_subscription(s, at("2026-11-20T00:00:00Z"));
  CHECK(names(e) == std::vector<std::string>{"next_plan"});
  CHECK(e.after.plan.id == 2);
  CHECK(e.after.user_status == "active");

  s.user_status = "limited";  // the next plan was set after the limit was reached
  e = evolve_subscription(s, at("2026-11-20T00:00:00Z"));
  CHECK(names(e) == std::vector<std::string>{"next_plan"});
  CHECK(e.after.user_status == "active");
}

TEST_CASE("a disabled user keeps its status and an on-hold subscription does not move", "[domain][subscription]") {
  auto s = monthly(1000);
  s.user_status = "disabled";
  s.used_bytes = 5000;
  s.expires_at = at("2026-11-15T00:00:00Z");
  auto e = evolve_subscription(s, at("2026-12-01T00:00:00Z"));
  CHECK(e.after.user_status == "disabled");
  CHECK(names(e) == std::vector<std::string>{"reset"});  // the period's bytes still reset

  SubscriptionState hold = monthly(1000);
  hold.user_status = "on_hold";
  hold.started_at.reset();
  e = evolve_subscription(hold, at("2030-01-01T00:00:00Z"));
  CHECK(e.transitions.empty());
  CHECK_FALSE(e.next_check_at.has_value());
}
