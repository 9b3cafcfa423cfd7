#include <catch2/catch.hpp>

#include "core/db.hpp"
#include "core/testing/test_db.hpp"

using namespace httvps;

// Schema and queries cannot drift: every named query under sql/queries/ must parse and
// plan against a freshly migrated database.
TEST_CASE("every named query prepares against the migrated schema", "[db][queries]") {
  httvps::testing::TestDb t;
  auto conn = t.connect();
  const auto& all = db::all_queries();
  REQUIRE(all.size() > 30);
  for (const auto& [name, q] : all) {
    INFO("query " << name);
    CHECK_NOTHROW(conn.prepare_only(q));
  }
}
