#pragma once
// The SQL files under sql/, embedded at build time (cmake/EmbedSqlScript.cmake).

#include <string_view>
#include <vector>

namespace httvps::sql {

struct SqlFile {
  std::string_view name;  // file name, e.g. "0001_init.up.sql" or "plans.sql"
  std::string_view text;
};

const std::vector<SqlFile>& migration_files();  // sql/migrations/*.sql, sorted by name
const std::vector<SqlFile>& query_files();      // sql/queries/*.sql

}  // namespace httvps::sql
