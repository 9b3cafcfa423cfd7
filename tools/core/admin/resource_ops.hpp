#pragma once
// List, show, create, update and delete for every admin resource. Plans, regions and
// nodes go through the generic path (named queries <resource>_list/_get/_insert/_update/
// _delete with parameters in field order); users, devices and admins add their own rules
// (subscriptions, device limits, passwords). Every change runs in one transaction with
// its audit-log row.

#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/admin/resources.hpp"
#include "core/app.hpp"

namespace httvps::admin {

struct ListRequest {
  std::map<std::string, std::string> filters;
  std::int64_t limit = 100;
  std::int64_t offset = 0;
};

nlohmann::json list_records(Context& ctx, const ResourceSpec& spec, const ListRequest& req);
// Throws Failure(kNotFound) naming the resource and key.
nlohmann::json get_record(Context& ctx, const ResourceSpec& spec, const std::string& key);
// Creates and returns the stored record. PASSWORD is used by admins only.
nlohmann::json create_record(Context& ctx, const ResourceSpec& spec, const std::map<std::string, std::string>& inputs,
                             const std::optional<std::string>& password = std::nullopt);
nlohmann::json update_record(Context& ctx, const ResourceSpec& spec, const std::string& key,
                             const std::map<std::string, std::string>& inputs,
                             const std::optional<std::string>& password = std::nullopt);
// Deletes and returns the record as it was.
nlohmann::json delete_record(Context& ctx, const ResourceSpec& spec, const std::string& key);

// ---- shared helpers for the resource files ----

// Parameters for <resource>_insert / _update from RECORD, in SPEC's field order.
db::Params params_from(const ResourceSpec& spec, const nlohmann::json& record);
db::Param to_param(const nlohmann::json& value);
// Checks that every non-null reference field names an existing object.
void check_refs(Context& ctx, const ResourceSpec& spec, const nlohmann::json& record);
// Writes the audit row for a change of SPEC's resource.
void audit_change(Context& ctx, const ResourceSpec& spec, const std::string& verb, const nlohmann::json& before,
                  const nlohmann::json& after);
// Turns unique and check violations of a create or update into conflict/usage failures
// that name the field.
[[noreturn]] void rethrow_write_failure(const ResourceSpec& spec, const nlohmann::json& record, const db::DbError& e);
// Turns a foreign-key failure on delete into a clear conflict message.
[[noreturn]] void rethrow_delete_failure(const ResourceSpec& spec, const std::string& key, const db::DbError& e);
// Record fields limited to SPEC's fields: the base for apply_inputs on update.
nlohmann::json editable_part(const ResourceSpec& spec, const nlohmann::json& record);
std::int64_t unix_now();

// Resource-specific operations (users.cpp, devices.cpp, admins.cpp).
nlohmann::json user_create(Context& ctx, const ResourceSpec& spec, const std::map<std::string, std::string>& inputs);
nlohmann::json user_update(Context& ctx, const ResourceSpec& spec, const std::string& key,
                           const std::map<std::string, std::string>& inputs);
nlohmann::json device_get(Context& ctx, const std::string& key);
// Inserts a device of USER under a row lock on the user, refusing past the plan's device
// limit (kConflict, field device_limit) and duplicate live names (kConflict, field name).
// Runs inside the caller's transaction; writes no audit row. Returns the new id.
std::int64_t insert_device(Context& ctx, const std::string& user, const std::string& name, const db::Param& region);
nlohmann::json device_create(Context& ctx, const ResourceSpec& spec, const std::map<std::string, std::string>& inputs);
nlohmann::json device_update(Context& ctx, const ResourceSpec& spec, const std::string& key,
                             const std::map<std::string, std::string>& inputs);
nlohmann::json admin_create(Context& ctx, const ResourceSpec& spec, const std::map<std::string, std::string>& inputs,
                            const std::optional<std::string>& password);
nlohmann::json admin_update(Context& ctx, const ResourceSpec& spec, const std::string& key,
                            const std::map<std::string, std::string>& inputs,
                            const std::optional<std::string>& password);
void admin_check_delete(Context& ctx, const nlohmann::json& before);
nlohmann::json gateway_create(Context& ctx, const ResourceSpec& spec, const std::map<std::string, std::string>& inputs);
// Sets the gateway-to-node secret of a Shadowsocks node: GIVEN, or a generated one (then
// returned once under "secret"). The previous secret stays valid for OVERLAP_SECONDS.
nlohmann::json node_set_secret(Context& ctx, const std::string& node_name, const std::optional<std::string>& given,
                               std::int64_t overlap_seconds);

}  // namespace httvps::admin
