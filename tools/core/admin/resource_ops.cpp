#include "core/admin/resource_ops.hpp"

#include <chrono>

#include "core/admin/audit.hpp"
#include "core/log.hpp"

namespace httvps::admin {
namespace {

std::string id_text(const nlohmann::json& record) {
  if (record.is_object() && record.contains("id")) return cell_text(record["id"]);
  return {};
}

// Cross-field rules of nodes: vless nodes have no cipher; the others need one.
void normalize_node(nlohmann::json& record, const std::map<std::string, std::string>& inputs) {
  const std::string kind = record.value("kind", "shadowsocks");
  if (kind == "vless") {
    if (inputs.count("method") != 0 && !record["method"].is_null()) {
      throw usage_error("method: vless nodes take no cipher", "method");
    }
    record["method"] = nullptr;
  } else if (record["method"].is_null()) {
    record["method"] = "chacha20-ietf-poly1305";
  }
}

nlohmann::json generic_create(Context& ctx, const ResourceSpec& spec, const std::map<std::string, std::string>& inputs) {
  nlohmann::json record = apply_inputs(spec, {}, inputs, true);
  if (spec.name == "node") normalize_node(record, inputs);
  auto& db = ctx.db();
  db::Transaction tx(db);
  check_refs(ctx, spec, record);
  try {
    db.exec(spec.name + "_insert", params_from(spec, record));
  } catch (const db::DbError& e) {
    rethrow_write_failure(spec, record, e);
  }
  nlohmann::json after = get_record(ctx, spec, record[spec.key_field].get<std::string>());
  audit_change(ctx, spec, "create", nullptr, after);
  tx.commit();
  return after;
}

nlohmann::json generic_update(Context& ctx, const ResourceSpec& spec, const std::string& key,
                              const std::map<std::string, std::string>& inputs) {
  auto& db = ctx.db();
  db::Transaction tx(db);
  nlohmann::json before = get_record(ctx, spec, key);
  nlohmann::json record = apply_inputs(spec, editable_part(spec, before), inputs, false);
  if (spec.name == "node") normalize_node(record, inputs);
  check_refs(ctx, spec, record);
  db::Params params{before["id"].get<std::int64_t>()};
  for (auto& p : params_from(spec, record)) params.push_back(std::move(p));
  try {
    db.exec(spec.name + "_update", params);
  } catch (const db::DbError& e) {
    rethrow_write_failure(spec, record, e);
  }
  nlohmann::json after = get_record(ctx, spec, record[spec.key_field].get<std::string>());
  audit_change(ctx, spec, "update", before, after);
  tx.commit();
  return after;
}

}  // namespace

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

db::Param to_param(const nlohmann::json& v) {
  if (v.is_null()) return std::nullopt;
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number_integer()) return static_cast<long long>(v.get<std::int64_t>());
  if (v.is_number()) return v.get<double>();
  return v.dump();
}

db::Params params_from(const ResourceSpec& spec, const nlohmann::json& record) {
  db::Params params;
  for (const auto& f : spec.fields) params.push_back(to_param(record.contains(f.name) ? record[f.name] : nullptr));
  return params;
}

nlohmann::json editable_part(const ResourceSpec& spec, const nlohmann::json& record) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& f : spec.fields) out[f.name] = record.contains(f.name) ? record[f.name] : nlohmann::json(nullptr);
  return out;
}

void check_refs(Context& ctx, const ResourceSpec& spec, const nlohmann::json& record) {
  for (const auto& f : spec.fields) {
    if (f.type != FieldType::kRef || !record.contains(f.name) || record[f.name].is_null()) continue;
    const std::string name = record[f.name].get<std::string>();
    if (ctx.db().exec(f.ref + "_get", {name}).empty()) {
      throw Failure(ExitCode::kNotFound, "no " + f.ref + " named '" + name + "'", f.name);
    }
  }
}

void audit_change(Context& ctx, const ResourceSpec& spec, const std::string& verb, const nlohmann::json& before,
                  const nlohmann::json& after) {
  AuditEntry e;
  e.actor = ctx.actor();
  e.action = spec.name + "." + verb;
  e.target_kind = spec.name;
  e.target_id = id_text(after.is_null() ? before : after);
  e.before = before;
  e.after = after;
  e.request_id = log::request_id();
  audit(ctx.db(), e);
}

void rethrow_write_failure(const ResourceSpec& spec, const nlohmann::json& record, const db::DbError& e) {
  // Constraint names follow PostgreSQL's defaults: <table>_<column>_key, <table>_<column>_check.
  const std::string& c = e.constraint();
  std::string field;
  for (const auto& f : spec.fields) {
    if (c.ends_with("_" + f.name + "_key") || c.ends_with("_" + f.name + "_check")) field = f.name;
  }
  if (e.kind() == db::ErrorKind::kUnique) {
    std::string value = !field.empty() && record.contains(field) ? cell_text(record[field]) : "";
    throw Failure(ExitCode::kConflict,
                  field.empty() ? spec.name + " conflicts with an existing one (" + c + ")"
                                : "a " + spec.name + " with " + field + " '" + value + "' exists already",
                  field);
  }
  if (e.kind() == db::ErrorKind::kCheck) {
    if (c == "subscriptions_check") {
      throw Failure(ExitCode::kUsage, "expires-at must be later than the subscription's start", "expires_at");
    }
    throw Failure(ExitCode::kUsage,
                  field.empty() ? spec.name + " breaks the database rule '" + c + "'"
                                : flag_name(field) + ": value refused by the database rule '" + c + "'",
                  field);
  }
  throw e;
}

void rethrow_delete_failure(const ResourceSpec& spec, const std::string& key, const db::DbError& e) {
  if (e.kind() == db::ErrorKind::kForeignKey) {
    throw conflict(spec.name + " '" + key + "' is still in use (" + e.constraint() +
                   "); move or delete what refers to it first");
  }
  throw e;
}

nlohmann::json list_records(Context& ctx, const ResourceSpec& spec, const ListRequest& req) {
  if (req.limit < 1 || req.limit > 10000) throw usage_error("--limit must be between 1 and 10000", "limit");
  if (req.offset < 0) throw usage_error("--offset must not be negative", "offset");
  db::Params params;
  for (const auto& f : spec.filters) {
    auto it = req.filters.find(f.name);
    params.push_back(it == req.filters.end() ? db::Param(std::nullopt) : to_param(parse_field(f, it->second)));
  }
  for (const auto& [name, _] : req.filters) {
    bool known = false;
    for (const auto& f : spec.filters) known = known || f.name == name;
    if (!known) throw usage_error("unknown filter '" + name + "' for " + spec.plural, name);
  }
  params.push_back(static_cast<long long>(req.limit));
  params.push_back(static_cast<long long>(req.offset));
  return ctx.db().exec(spec.name + "_list", params).to_json();
}

nlohmann::json get_record(Context& ctx, const ResourceSpec& spec, const std::string& key) {
  if (spec.name == "device") return device_get(ctx, key);
  auto rows = ctx.db().exec(spec.name + "_get", {key});
  if (rows.empty()) throw not_found("no " + spec.name + " named '" + key + "'");
  return rows[0].to_json();
}

nlohmann::json create_record(Context& ctx, const ResourceSpec& spec, const std::map<std::string, std::string>& inputs,
                             const std::optional<std::string>& password) {
  if (spec.name == "user") return user_create(ctx, spec, inputs);
  if (spec.name == "device") return device_create(ctx, spec, inputs);
  if (spec.name == "admin") return admin_create(ctx, spec, inputs, password);
  if (spec.name == "gateway") return gateway_create(ctx, spec, inputs);
  return generic_create(ctx, spec, inputs);
}

nlohmann::json update_record(Context& ctx, const ResourceSpec& spec, const std::string& key,
                             const std::map<std::string, std::string>& inputs,
                             const std::optional<std::string>& password) {
  if (inputs.empty() && !password) throw usage_error("nothing to update: give at least one field flag");
  if (spec.name == "user") return user_update(ctx, spec, key, inputs);
  if (spec.name == "device") return device_update(ctx, spec, key, inputs);
  if (spec.name == "admin") return admin_update(ctx, spec, key, inputs, password);
  return generic_update(ctx, spec, key, inputs);
}

nlohmann::json delete_record(Context& ctx, const ResourceSpec& spec, const std::string& key) {
  auto& db = ctx.db();
  db::Transaction tx(db);
  nlohmann::json before = get_record(ctx, spec, key);
  if (spec.name == "admin") admin_check_delete(ctx, before);
  try {
    db.exec(spec.name + "_delete", {before["id"].get<std::int64_t>()});
  } catch (const db::DbError& e) {
    rethrow_delete_failure(spec, key, e);
  }
  audit_change(ctx, spec, "delete", before, nullptr);
  tx.commit();
  return before;
}

}  // namespace httvps::admin
