#include "core/domain/reset.hpp"

#include <ctime>
#include <string>

#include "core/error.hpp"

namespace httvps::domain {
namespace {

constexpr std::int64_t kDay = 86400;

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

std::tm utc(std::int64_t t) {
  time_t tt = static_cast<time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return tm;
}

std::int64_t from_utc(int year, int month0, int day, std::int64_t seconds_of_day) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month0;
  tm.tm_mday = day;
  return static_cast<std::int64_t>(timegm(&tm)) + seconds_of_day;
}

int days_in_month(int year, int month0) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month0 == 1 && leap ? 29 : kDays[month0];
}

}  // namespace

ResetStrategy parse_reset_strategy(std::string_view name) {
  if (name == "none") return ResetStrategy::kNone;
  if (name == "day") return ResetStrategy::kDay;
  if (name == "week") return ResetStrategy::kWeek;
  if (name == "month") return ResetStrategy::kMonth;
  if (name == "month-rolling") return ResetStrategy::kMonthRolling;
  if (name == "year") return ResetStrategy::kYear;
  throw usage_error("unknown reset strategy '" + std::string(name) + "'", "reset_strategy");
}

std::string_view reset_strategy_name(ResetStrategy s) {
  switch (s) {
    case ResetStrategy::kNone: return "none";
    case ResetStrategy::kDay: return "day";
    case ResetStrategy::kWeek: return "week";
    case ResetStrategy::kMonth: return "month";
    case ResetStrategy::kMonthRolling: return "month-rolling";
    case ResetStrategy::kYear: return "year";
  }
  return "none";
}

std::int64_t add_months(std::int64_t anchor, int months) {
  std::tm a = utc(anchor);
  std::int64_t time_of_day = anchor - floor_div(anchor, kDay) * kDay;
  int total = a.tm_year + 1900;
  int month_index = a.tm_mon + months;
  int year = total + static_cast<int>(floor_div(month_index, 12));
  int month0 = static_cast<int>(month_index - floor_div(month_index, 12) * 12);
  int day = std::min(a.tm_mday, days_in_month(year, month0));
  return from_utc(year, month0, day, time_of_day);
}

std::optional<std::int64_t> period_start(ResetStrategy s, std::int64_t anchor, std::int64_t now) {
  switch (s) {
    case ResetStrategy::kNone: return std::nullopt;
    case ResetStrategy::kDay: return floor_div(now, kDay) * kDay;
    case ResetStrategy::kWeek: {
      std::int64_t days = floor_div(now, kDay);
      std::int64_t monday_offset = (days + 3) % 7;  // 1970-01-01 was a Thursday
      if (monday_offset < 0) monday_offset += 7;
      return (days - monday_offset) * kDay;
    }
    case ResetStrategy::kMonth: {
      std::tm t = utc(now);
      return from_utc(t.tm_year + 1900, t.tm_mon, 1, 0);
    }
    case ResetStrategy::kYear: {
      std::tm t = utc(now);
      return from_utc(t.tm_year + 1900, 0, 1, 0);
    }
    case ResetStrategy::kMonthRolling: {
      if (now < anchor) return anchor;
      std::tm a = utc(anchor);
      std::tm n = utc(now);
      int k = (n.tm_year - a.tm_year) * 12 + (n.tm_mon - a.tm_mon);
      while (k > 0 && add_months(anchor, k) > now) --k;
      while (add_months(anchor, k + 1) <= now) ++k;
      return add_months(anchor, k);
    }
  }
  return std::nullopt;
}

std::optional<std::int64_t> next_reset(ResetStrategy s, std::int64_t anchor, std::int64_t now) {
  switch (s) {
    case ResetStrategy::kNone: return std::nullopt;
    case ResetStrategy::kDay: return *period_start(s, anchor, now) + kDay;
    case ResetStrategy::kWeek: return *period_start(s, anchor, now) + 7 * kDay;
    case ResetStrategy::kMonth: return add_months(*period_start(s, anchor, now), 1);
    case ResetStrategy::kYear: return add_months(*period_start(s, anchor, now), 12);
    case ResetStrategy::kMonthRolling: {
      if (now < anchor) return anchor;
      std::int64_t start = *period_start(s, anchor, now);
      std::tm a = utc(anchor);
      std::tm p = utc(start);
      int k = (p.tm_year - a.tm_year) * 12 + (p.tm_mon - a.tm_mon);
      std::int64_t next = add_months(anchor, k + 1);
      while (next <= now) next = add_months(anchor, ++k + 1);
      return next;
    }
  }
  return std::nullopt;
}

bool reset_due(ResetStrategy s, std::int64_t anchor, std::int64_t period_started_at, std::int64_t now) {
  auto start = period_start(s, anchor, now);
  return start && *start > period_started_at && *start <= now;
}

}  // namespace httvps::domain
