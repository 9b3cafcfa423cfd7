#include "core/domain/reset.hpp"

#include <catch2/catch.hpp>

#include "core/units.hpp"

using namespace httvps::domain;
using httvps::units::parse_timestamp;

namespace {
std::int64_t at(const char* text) { return parse_timestamp(text); }
}  // namespace

TEST_CASE("period starts follow each strategy's calendar", "[domain][reset]") {
  const std::int64_t anchor = at("2026-01-31T10:30:00Z");
  struct Case {
    ResetStrategy strategy;
    const char* now;
    const char* start;
  };
  const Case cases[] = {
      {ResetStrategy::kDay, "2026-03-04T23:59:59Z", "2026-03-04T00:00:00Z"},
      {ResetStrategy::kDay, "2026-03-05T00:00:00Z", "2026-03-05T00:00:00Z"},
      {ResetStrategy::kWeek, "2026-11-22T12:00:00Z", "2026-11-16T00:00:00Z"},  // Sunday → that week's Monday
      {ResetStrategy::kWeek, "2026-11-23T00:00:00Z", "2026-11-23T00:00:00Z"},  // Monday midnight
      {ResetStrategy::kMonth, "2026-02-28T23:59:59Z", "2026-02-01T00:00:00Z"},
      {ResetStrategy::kMonth, "2026-03-01T00:00:00Z", "2026-03-01T00:00:00Z"},
      {ResetStrategy::kYear, "2026-12-31T23:59:59Z", "2026-01-01T00:00:00Z"},
      {ResetStrategy::kYear, "2027-01-01T00:00:00Z", "2027-01-01T00:00:00Z"},
      {ResetStrategy::kMonthRolling, "2026-01-31T10:30:00Z", "2026-01-31T10:30:00Z"},
      {ResetStrategy::kMonthRolling, "2026-02-28T10:29:59Z", "2026-01-31T10:30:00Z"},
      {ResetStrategy::kMonthRolling, "2026-02-28T10:30:00Z", "2026-02-28T10:30:00Z"},  // clamped to Feb 28
      {ResetStrategy::kMonthRolling, "2026-03-30T00:00:00Z", "2026-02-28T10:30:00Z"},
      {ResetStrategy::kMonthRolling, "2026-03-31T10:30:00Z", "2026-03-31T10:30:00Z"},  // back to the 31st
      {ResetStrategy::kMonthRolling, "2027-02-01T00:00:00Z", "2027-01-31T10:30:00Z"},
      {ResetStrategy::kMonthRolling, "2025-12-01T00:00:00Z", "2026-01-31T10:30:00Z"},  // before the anchor
  };
  for (const auto& c : cases) {
    INFO(reset_strategy_name(c.strategy) << " at " << c.now);
    auto start = period_start(c.strategy, anchor, at(c.now));
    REQUIRE(start);
    CHECK(httvps::units::format_timestamp(*start) == c.start);
  }
  CHECK_FALSE(period_start(ResetStrategy::kNone, anchor, at("2030-01-01")));
}

TEST_CASE("the next reset is strictly after now", "[domain][reset]") {
  const std::int64_t anchor = at("2024-01-31T00:00:00Z");
  CHECK(*next_reset(ResetStrategy::kDay, anchor, at("2026-03-04T00:00:00Z")) == at("2026-03-05"));
  CHECK(*next_reset(ResetStrategy::kWeek, anchor, at("2026-11-22T12:00:00Z")) == at("2026-11-23"));
  CHECK(*next_reset(ResetStrategy::kMonth, anchor, at("2026-12-15")) == at("2027-01-01"));
  CHECK(*next_reset(ResetStrategy::kYear, anchor, at("2026-06-01")) == at("2027-01-01"));
  CHECK(*next_reset(ResetStrategy::kMonthRolling, anchor, at("2024-02-10")) == at("2024-02-29"));  // leap year
  CHECK(*next_reset(ResetStrategy::kMonthRolling, anchor, at("2024-02-29")) == at("2024-03-31"));
  CHECK_FALSE(next_reset(ResetStrategy::kNone, anchor, at("2026-06-01")));
}

TEST_CASE("a reset is due once the period of the stored start has passed", "[domain][reset]") {
  const std::int64_t anchor = at("2026-11-01T09:00:00Z");
  const std::int64_t period = at("2026-11-21T09:00:00Z");  // e.g. created mid-day
  CHECK_FALSE(reset_due(ResetStrategy::kDay, anchor, period, at("2026-11-21T23:59:59Z")));
  CHECK(reset_due(ResetStrategy::kDay, anchor, period, at("2026-11-22T00:00:00Z")));
  CHECK_FALSE(reset_due(ResetStrategy::kNone, anchor, period, at("2036-01-01")));
  CHECK_FALSE(reset_due(ResetStrategy::kMonthRolling, anchor, at("2026-11-01T09:00:00Z"), at("2026-12-01T08:59:59Z")));
  CHECK(reset_due(ResetStrategy::kMonthRolling, anchor, at("2026-11-01T09:00:00Z"), at("2026-12-01T09:00:00Z")));
}

TEST_CASE("adding months keeps the day when it exists and clamps when it does not", "[domain][reset]") {
  CHECK(add_months(at("2026-01-31T10:00:00Z"), 1) == at("2026-02-28T10:00:00Z"));
  CHECK(add_months(at("2026-01-31T10:00:00Z"), 2) == at("2026-03-31T10:00:00Z"));
  CHECK(add_months(at("2026-11-15"), 3) == at("2027-02-15"));
  CHECK(add_months(at("2026-03-31"), -1) == at("2026-02-28"));
}

TEST_CASE("reset strategy names round-trip and unknown names are refused", "[domain][reset]") {
  for (const char* n : {"none", "day", "week", "month", "month-rolling", "year"}) {
    CHECK(reset_strategy_name(parse_reset_strategy(n)) == n);
  }
  CHECK_THROWS(parse_reset_strategy("fortnight"));
}
