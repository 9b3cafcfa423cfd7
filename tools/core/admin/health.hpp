#pragma once
// Health of the control plane: the version and whether the database answers. Shared by
// `httvps health` and GET /api/v1/health.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/app.hpp"

namespace httvps::admin {

struct HealthReport {
  bool database_up = false;
  std::string version;
  std::optional<std::string> server_version;
  std::optional<int> schema_version;  // nullopt: not migrated
  std::string error;                  // why the database is down
};

// Never throws for database failures: they are the report.
HealthReport check_health(Context& ctx);
nlohmann::json to_json(const HealthReport& report);

}  // namespace httvps::admin
