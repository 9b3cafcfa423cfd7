#pragma once
// The audit log: every change made through the CLI, the API or a job leaves one row with
// who, what, and the record before and after. Call inside the change's transaction so the
// row exists exactly when the change does.

#include <string>

#include <nlohmann/json.hpp>

#include "core/db.hpp"

namespace httvps::admin {

struct AuditEntry {
  std::string actor;        // "cli:root", "admin:alice", "job:rotate-nodes"
  std::string action;       // "plan.create"
  std::string target_kind;  // "plan"
  std::string target_id;    // "42"
  nlohmann::json before;    // null for creates
  nlohmann::json after;     // null for deletes
  std::string request_id;
};

void audit(db::Connection& conn, const AuditEntry& entry);

// Removes secret-bearing keys (hashes, sealed secrets) from a record before it is audited.
nlohmann::json audit_safe(nlohmann::json record);

}  // namespace httvps::admin
