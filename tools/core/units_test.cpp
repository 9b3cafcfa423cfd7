#include "core/units.hpp"

#include <catch2/catch.hpp>

#include "core/error.hpp"

using namespace httvps::units;

TEST_CASE("sizes parse with decimal and binary units", "[units]") {
  struct Case {
    const char* text;
    std::int64_t bytes;
  };
  const Case cases[] = {{"0", 0},         {"1024", 1024},           {"1KB", 1000},          {"1 kb", 1000},
                        {"50GB", 50'000'000'000}, {"1.5GiB", 1610612736}, {"2TiB", 2199023255552}, {"512B", 512},
                        {"10MiB", 10485760}};
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(parse_bytes(c.text) == c.bytes);
  }
}

TEST_CASE("sizes refuse garbage, unknown units and overflow", "[units]") {
  for (const char* bad : {"", "GB", "-5GB", "5XB", "1e9", "abc", "99999999999TB"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_bytes(bad), httvps::Failure);
  }
}

TEST_CASE("durations parse in seconds, minutes, hours, days and weeks", "[units]") {
  CHECK(parse_duration("45") == 45);
  CHECK(parse_duration("45s") == 45);
  CHECK(parse_duration("90m") == 5400);
  CHECK(parse_duration("12h") == 43200);
  CHECK(parse_duration("30d") == 2592000);
  CHECK(parse_duration("2w") == 1209600);
  CHECK_THROWS_AS(parse_duration("3y"), httvps::Failure);
  CHECK_THROWS_AS(parse_duration("d"), httvps::Failure);
}

TEST_CASE("rates parse as bits per second", "[units]") {
  CHECK(parse_rate("500000") == 500000);
  CHECK(parse_rate("100kbit") == 100000);
  CHECK(parse_rate("20mbit") == 20000000);
  CHECK(parse_rate("10Mbps") == 10000000);
  CHECK(parse_rate("1gbit") == 1000000000);
  CHECK(parse_rate("1.5mbit/s") == 1500000);
  CHECK_THROWS_AS(parse_rate("10MB"), httvps::Failure);
}

TEST_CASE("formatting picks the largest readable unit", "[units]") {
  CHECK(format_bytes(512) == "512 B");
  CHECK(format_bytes(1536) == "1.50 KiB");
  CHECK(format_bytes(50'000'000'000) == "46.57 GiB");
  CHECK(format_duration(2592000) == "30d");
  CHECK(format_duration(1209600) == "2w");
  CHECK(format_duration(5400) == "90m");
  CHECK(format_duration(61) == "61s");
  CHECK(format_rate(20000000) == "20 Mbit/s");
}

TEST_CASE("the words for no limit are recognised", "[units]") {
  for (const char* w : {"unlimited", "none", "off", "-", "UNLIMITED"}) CHECK(means_unlimited(w));
  CHECK_FALSE(means_unlimited("0"));
  CHECK_FALSE(means_unlimited("limited"));
}

TEST_CASE("timestamps accept RFC 3339 with zones and plain dates", "[units]") {
  CHECK(parse_timestamp("1970-01-01T00:00:00Z") == 0);
  CHECK(parse_timestamp("2026-12-31") == 1798675200);
  CHECK(parse_timestamp("2026-12-31T23:59:59Z") == 1798761599);
  CHECK(parse_timestamp("2026-12-31T23:59:59.250Z") == 1798761599);
  CHECK(parse_timestamp("2027-01-01T02:00:00+02:00") == 1798761600);
  CHECK(parse_timestamp("2026-12-31T19:00:00-05:00") == 1798761600);
  CHECK(format_timestamp(1798761599) == "2026-12-31T23:59:59Z");
}

TEST_CASE("timestamps refuse impossible dates and missing zones", "[units]") {
  for (const char* bad : {"2026-02-30", "2026-13-01", "2026-12-31T23:59:59", "2026-12-31T25:00:00Z", "31.12.2026",
                          "2026-12-31Tfoo", "2026-12-31T23:59:59Zjunk", "1969-12-31"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_timestamp(bad), httvps::Failure);
  }
}
