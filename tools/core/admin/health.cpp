#include "core/admin/health.hpp"

#include "core/version.hpp"

namespace httvps::admin {

HealthReport check_health(Context& ctx) {
  HealthReport r;
  r.version = kVersion;
  try {
    auto row = ctx.db().exec("health_check");
    r.server_version = row[0].text("server_version");
    if (row[0].boolean("migrated")) {
      r.schema_version = static_cast<int>(ctx.db().exec("migrate_max_version")[0].int64("version"));
    }
    r.database_up = true;
  } catch (const db::DbError& e) {
    r.database_up = false;
    r.error = e.what();
  }
  return r;
}

nlohmann::json to_json(const HealthReport& r) {
  nlohmann::json db = {{"status", r.database_up ? "up" : "down"}};
  if (r.server_version) db["server_version"] = *r.server_version;
  db["schema_version"] = r.schema_version ? nlohmann::json(*r.schema_version) : nlohmann::json(nullptr);
  if (!r.error.empty()) db["error"] = r.error;
  return {{"status", r.database_up ? "ok" : "unavailable"}, {"version", r.version}, {"database", db}};
}

}  // namespace httvps::admin
