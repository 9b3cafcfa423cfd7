#include "core/migrate.hpp"

#include <catch2/catch.hpp>

using namespace httvps;

TEST_CASE("the embedded migrations are complete up/down pairs numbered from 1", "[migrate]") {
  auto all = migrate::available();
  REQUIRE_FALSE(all.empty());
  for (std::size_t i = 0; i < all.size(); ++i) {
    CHECK(all[i].version == static_cast<int>(i) + 1);
    CHECK(all[i].up != nullptr);
    CHECK(all[i].down != nullptr);
    CHECK(all[i].checksum.size() == 64);
  }
  CHECK(all[0].name == "init");
}

TEST_CASE("migration files with gaps, missing halves or bad names are refused", "[migrate]") {
  using F = sql::SqlFile;
  std::vector<F> gap = {{"0001_a.up.sql", ""}, {"0001_a.down.sql", ""}, {"0003_c.up.sql", ""}, {"0003_c.down.sql", ""}};
  CHECK_THROWS_WITH(migrate::parse_files(gap), Catch::Contains("contiguous"));
  std::vector<F> half = {{"0001_a.up.sql", ""}};
  CHECK_THROWS_WITH(migrate::parse_files(half), Catch::Contains("needs both"));
  std::vector<F> bad = {{"first.up.sql", ""}};
  CHECK_THROWS(migrate::parse_files(bad));
  std::vector<F> two_titles = {{"0001_a.up.sql", ""}, {"0001_b.down.sql", ""}};
  CHECK_THROWS_WITH(migrate::parse_files(two_titles), Catch::Contains("two titles"));
}

TEST_CASE("a migration's checksum follows its up script", "[migrate]") {
  using F = sql::SqlFile;
  std::vector<F> a = {{"0001_a.up.sql", "CREATE TABLE t ();"}, {"0001_a.down.sql", "DROP TABLE t;"}};
  std::vector<F> b = {{"0001_a.up.sql", "CREATE TABLE t (x int);"}, {"0001_a.down.sql", "DROP TABLE t;"}};
  CHECK(migrate::parse_files(a)[0].checksum != migrate::parse_files(b)[0].checksum);
}
