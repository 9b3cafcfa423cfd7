#include "core/admin/audit.hpp"

#include "core/log.hpp"

namespace httvps::admin {

nlohmann::json audit_safe(nlohmann::json record) {
  if (!record.is_object()) return record;
  for (auto it = record.begin(); it != record.end();) {
    if (log::is_secret_field(it.key()) || it.key().find("hash") != std::string::npos ||
        it.key().find("sealed") != std::string::npos) {
      it = record.erase(it);
    } else {
      ++it;
    }
  }
  return record;
}

void audit(db::Connection& conn, const AuditEntry& e) {
  auto as_param = [](const nlohmann::json& j) -> db::Param {
    if (j.is_null()) return std::nullopt;
    return audit_safe(j).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  conn.exec("audit_insert", {e.actor, e.action, e.target_kind, e.target_id.empty() ? db::Param(std::nullopt) : db::Param(e.target_id),
                             as_param(e.before), as_param(e.after),
                             e.request_id.empty() ? db::Param(std::nullopt) : db::Param(e.request_id)});
}

}  // namespace httvps::admin
