#pragma once
// Usage periods: when used bytes return to zero. Pure functions of the strategy, the
// subscription's anchor (the moment its clock started) and the clock; all times are Unix
// seconds, all calendars UTC.
//
//   none           one period forever
//   day            every day at 00:00 UTC
//   week           every Monday at 00:00 UTC
//   month          the 1st of every month at 00:00 UTC
//   month-rolling  every month on the anchor's day and time of day; in months without that
//                  day, on the month's last day (an anchor of Jan 31 resets Feb 28/29, Mar 31)
//   year           every January 1st at 00:00 UTC

#include <cstdint>
#include <optional>
#include <string_view>

namespace httvps::domain {

enum class ResetStrategy { kNone, kDay, kWeek, kMonth, kMonthRolling, kYear };

// Throws Failure(kUsage) for an unknown name.
ResetStrategy parse_reset_strategy(std::string_view name);
std::string_view reset_strategy_name(ResetStrategy strategy);

// Start of the period that contains NOW; nullopt for kNone. For kMonthRolling a NOW before
// ANCHOR belongs to the period starting at ANCHOR.
std::optional<std::int64_t> period_start(ResetStrategy strategy, std::int64_t anchor, std::int64_t now);

// The first reset strictly after NOW; nullopt for kNone.
std::optional<std::int64_t> next_reset(ResetStrategy strategy, std::int64_t anchor, std::int64_t now);

// True when a reset happened after PERIOD_STARTED_AT and at or before NOW.
bool reset_due(ResetStrategy strategy, std::int64_t anchor, std::int64_t period_started_at, std::int64_t now);

// ANCHOR plus MONTHS calendar months, keeping the day of month (clamped to the target
// month's length) and the time of day.
std::int64_t add_months(std::int64_t anchor, int months);

}  // namespace httvps::domain
