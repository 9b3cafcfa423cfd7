#pragma once
// Human quantities on the command line and in the API: sizes, durations, rates and
// timestamps. Pure functions; each throws Failure(kUsage) naming what was wrong.

#include <cstdint>
#include <string>
#include <string_view>

namespace httvps::units {

// "1024", "500MB", "1.5GiB", "2TB". Decimal units are powers of 1000 (KB, MB, GB, TB),
// binary ones powers of 1024 (KiB, MiB, GiB, TiB). Case-insensitive; at most 2^62 bytes.
std::int64_t parse_bytes(std::string_view text);

// "3600", "45s", "90m", "12h", "30d", "2w": seconds.
std::int64_t parse_duration(std::string_view text);

// "500000" (bits/s), "100kbit", "10mbit", "1gbit", also "10Mbps": bits per second.
std::int64_t parse_rate(std::string_view text);

// "1.50 GiB", "512 B".
std::string format_bytes(std::int64_t bytes);
// "30d", "12h", "90m", "45s": the largest exact unit.
std::string format_duration(std::int64_t seconds);
// "10 Mbit/s".
std::string format_rate(std::int64_t bps);

// True for the words that mean "no limit": unlimited, none, off, "-".
bool means_unlimited(std::string_view text);

// Parses an RFC 3339 timestamp ("2026-12-31T23:59:59Z", offsets allowed, fraction
// ignored) or a date ("2026-12-31", midnight UTC) into Unix seconds.
std::int64_t parse_timestamp(std::string_view text);
// Unix seconds as "2026-12-31T23:59:59Z".
std::string format_timestamp(std::int64_t unix_seconds);

}  // namespace httvps::units
