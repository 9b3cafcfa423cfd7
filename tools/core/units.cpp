#include "core/units.hpp"

#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>

#include "core/error.hpp"

namespace httvps::units {
namespace {

std::string lower(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != ' ' && c != '_') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// Splits "1.5gib" into 1.5 and "gib"; throws when no number leads.
std::pair<double, std::string> split(std::string_view text, const char* what) {
  std::string s = lower(text);
  std::size_t i = 0;
  bool digits = false;
  bool dot = false;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || (s[i] == '.' && !dot))) {
    if (s[i] == '.') dot = true;
    else digits = true;
    ++i;
  }
  if (!digits) throw usage_error(std::string("invalid ") + what + " '" + std::string(text) + "'");
  double value = std::strtod(s.substr(0, i).c_str(), nullptr);
  return {value, s.substr(i)};
}

std::int64_t checked(double v, std::string_view text, const char* what) {
  if (!std::isfinite(v) || v < 0 || v > static_cast<double>(1LL << 62)) {
    throw usage_error(std::string(what) + " '" + std::string(text) + "' is out of range");
  }
  return static_cast<std::int64_t>(std::llround(v));
}

}  // namespace

bool means_unlimited(std::string_view text) {
  std::string s = lower(text);
  return s == "unlimited" || s == "none" || s == "off" || s == "-" || s == "null";
}

std::int64_t parse_bytes(std::string_view text) {
  auto [v, unit] = split(text, "size");
  double mult = 0;
  if (unit.empty() || unit == "b") mult = 1;
  else if (unit == "k" || unit == "kb") mult = 1e3;
  else if (unit == "m" || unit == "mb") mult = 1e6;
  else if (unit == "g" || unit == "gb") mult = 1e9;
  else if (unit == "t" || unit == "tb") mult = 1e12;
  else if (unit == "kib") mult = 1024.0;
  else if (unit == "mib") mult = 1024.0 * 1024;
  else if (unit == "gib") mult = 1024.0 * 1024 * 1024;
  else if (unit == "tib") mult = 1024.0 * 1024 * 1024 * 1024;
  else throw usage_error("unknown size unit in '" + std::string(text) + "' (use B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)");
  return checked(v * mult, text, "size");
}

std::int64_t parse_duration(std::string_view text) {
  auto [v, unit] = split(text, "duration");
  double mult = 0;
  if (unit.empty() || unit == "s") mult = 1;
  else if (unit == "m" || unit == "min") mult = 60;
  else if (unit == "h") mult = 3600;
  else if (unit == "d") mult = 86400;
  else if (unit == "w") mult = 7 * 86400;
  else throw usage_error("unknown duration unit in '" + std::string(text) + "' (use s, m, h, d, w)");
  return checked(v * mult, text, "duration");
}

std::int64_t parse_rate(std::string_view text) {
  auto [v, unit] = split(text, "rate");
  if (unit.ends_with("/s")) unit.resize(unit.size() - 2);
  if (unit.ends_with("bps")) {  // "mbps" means megabits per second
    unit.resize(unit.size() - 3);
    unit += "bit";
  }
  double mult = 0;
  if (unit.empty() || unit == "bit" || unit == "b") mult = 1;
  else if (unit == "kbit" || unit == "k") mult = 1e3;
  else if (unit == "mbit" || unit == "m") mult = 1e6;
  else if (unit == "gbit" || unit == "g") mult = 1e9;
  else throw usage_error("unknown rate unit in '" + std::string(text) + "' (use kbit, mbit, gbit: bits per second)");
  return checked(v * mult, text, "rate");
}

std::string format_bytes(std::int64_t bytes) {
  static constexpr std::array<const char*, 5> kUnits = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  std::size_t u = 0;
  while (v >= 1024 && u + 1 < kUnits.size()) {
    v /= 1024;
    ++u;
  }
  char buf[48];
  if (u == 0) std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(bytes));
  else std::snprintf(buf, sizeof buf, "%.2f %s", v, kUnits[u]);
  return buf;
}

std::string format_duration(std::int64_t s) {
  if (s > 0 && s % (7 * 86400) == 0) return std::to_string(s / (7 * 86400)) + "w";
  if (s > 0 && s % 86400 == 0) return std::to_string(s / 86400) + "d";
  if (s > 0 && s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s > 0 && s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

std::string format_rate(std::int64_t bps) {
  char buf[48];
  if (bps >= 1000000000 && bps % 1000000 == 0) std::snprintf(buf, sizeof buf, "%g Gbit/s", static_cast<double>(bps) / 1e9);
  else if (bps >= 1000000) std::snprintf(buf, sizeof buf, "%g Mbit/s", static_cast<double>(bps) / 1e6);
  else if (bps >= 1000) std::snprintf(buf, sizeof buf, "%g kbit/s", static_cast<double>(bps) / 1e3);
  else std::snprintf(buf, sizeof buf, "%lld bit/s", static_cast<long long>(bps));
  return buf;
}

std::int64_t parse_timestamp(std::string_view text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  std::string t(text);
  int consumed = 0;
  if (std::sscanf(t.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &consumed) != 3 || consumed != 10) {
    throw usage_error("invalid timestamp '" + t + "' (expected 2026-12-31 or 2026-12-31T23:59:59Z)");
  }
  std::size_t pos = 10;
  std::int64_t offset = 0;
  if (pos < t.size()) {
    if (t[pos] != 'T' && t[pos] != 't' && t[pos] != ' ') throw usage_error("invalid timestamp '" + t + "'");
    int n = 0;
    if (std::sscanf(t.c_str() + pos + 1, "%2d:%2d:%2d%n", &h, &mi, &s, &n) != 3 || n != 8) {
      throw usage_error("invalid time in timestamp '" + t + "'");
    }
    pos += 9;
    if (pos < t.size() && t[pos] == '.') {
      ++pos;
      while (pos < t.size() && std::isdigit(static_cast<unsigned char>(t[pos]))) ++pos;
    }
    if (pos >= t.size()) throw usage_error("timestamp '" + t + "' needs a zone: Z or +HH:MM");
    if (t[pos] == 'Z' || t[pos] == 'z') {
      ++pos;
    } else if (t[pos] == '+' || t[pos] == '-') {
      int oh = 0, om = 0, n2 = 0;
      if (std::sscanf(t.c_str() + pos + 1, "%2d:%2d%n", &oh, &om, &n2) != 2 || n2 != 5 || oh > 23 || om > 59) {
        throw usage_error("invalid zone offset in timestamp '" + t + "'");
      }
      offset = (oh * 3600 + om * 60) * (t[pos] == '+' ? 1 : -1);
      pos += 6;
    }
    if (pos != t.size()) throw usage_error("trailing characters in timestamp '" + t + "'");
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 || y < 1970 || y > 9999) {
    throw usage_error("timestamp '" + t + "' is out of range");
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  std::int64_t unix = timegm(&tm);
  std::tm check{};
  time_t back = static_cast<time_t>(unix);
  gmtime_r(&back, &check);
  if (check.tm_mday != d) throw usage_error("timestamp '" + t + "' names a day that does not exist");
  return unix - offset;
}

std::string format_timestamp(std::int64_t unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace httvps::units
