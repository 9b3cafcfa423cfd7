// Devices. The key is the numeric id or "username/device-name". Creating a device checks
// the plan's device limit under a row lock on the user, so concurrent creates cannot
// exceed it. Credentials are minted by issue-key, not here.

#include <charconv>

#include "core/admin/resource_ops.hpp"

namespace httvps::admin {
namespace {

std::optional<std::int64_t> parse_id(const std::string& key) {
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(key.data(), key.data() + key.size(), v);
  if (ec != std::errc() || ptr != key.data() + key.size() || v <= 0) return std::nullopt;
  return v;
}

}  // namespace

nlohmann::json device_get(Context& ctx, const std::string& key) {
  std::optional<std::int64_t> id = parse_id(key);
  if (!id) {
    auto slash = key.find('/');
    if (slash == std::string::npos) {
      throw usage_error("device key '" + key + "' is neither an id nor 'username/device-name'", "device");
    }
    nlohmann::json filtered = ctx.db().exec("device_list", {key.substr(0, slash), "active", 10000LL, 0LL}).to_json();
    for (const auto& d : filtered) {
      if (d["name"] == key.substr(slash + 1)) id = d["id"].get<std::int64_t>();
    }
    if (!id) throw not_found("no active device '" + key.substr(slash + 1) + "' of user '" + key.substr(0, slash) + "'");
  }
  auto rows = ctx.db().exec("device_get", {static_cast<long long>(*id)});
  if (rows.empty()) throw not_found("no device with id " + std::to_string(*id));
  return rows[0].to_json();
}

std::int64_t insert_device(Context& ctx, const std::string& user, const std::string& name, const db::Param& region) {
  auto& db = ctx.db();
  auto owner = db.exec("user_lock_for_devices", {user});
  if (owner.empty()) throw Failure(ExitCode::kNotFound, "no user named '" + user + "'", "user");
  const long long user_id = owner[0].int64("id");
  if (auto limit = owner[0].opt_int64("device_limit")) {
    auto live = db.exec("device_count_live", {user_id})[0].int64("n");
    if (live >= *limit) {
      throw Failure(ExitCode::kConflict,
                    "user '" + user + "' has " + std::to_string(live) + " of " + std::to_string(*limit) +
                        " devices allowed by the plan; remove one first",
                    "device_limit");
    }
  }
  try {
    return db.exec("device_insert", {user_id, name, region})[0].int64("id");
  } catch (const db::DbError& e) {
    if (e.kind() == db::ErrorKind::kUnique) {
      throw Failure(ExitCode::kConflict, "user '" + user + "' already has a device named '" + name + "'", "name");
    }
    throw;
  }
}

nlohmann::json device_create(Context& ctx, const ResourceSpec& spec, const std::map<std::string, std::string>& inputs) {
  nlohmann::json record = apply_inputs(spec, {}, inputs, true);
  auto& db = ctx.db();
  db::Transaction tx(db);
  check_refs(ctx, spec, record);
  const std::int64_t id = insert_device(ctx, record["user"].get<std::string>(), record["name"].get<std::string>(),
                                        to_param(record["region"]));
  nlohmann::json after = device_get(ctx, std::to_string(id));
  audit_change(ctx, spec, "create", nullptr, after);
  tx.commit();
  return after;
}

nlohmann::json device_update(Context& ctx, const ResourceSpec& spec, const std::string& key,
                             const std::map<std::string, std::string>& inputs) {
  if (inputs.count("user") != 0) throw usage_error("a device cannot move to another user", "user");
  auto& db = ctx.db();
  db::Transaction tx(db);
  nlohmann::json before = device_get(ctx, key);
  nlohmann::json record = apply_inputs(spec, editable_part(spec, before), inputs, false);
  check_refs(ctx, spec, record);
  try {
    db.exec("device_update", {before["id"].get<std::int64_t>(), to_param(record["name"]), to_param(record["region"])});
  } catch (const db::DbError& e) {
    if (e.kind() == db::ErrorKind::kUnique) {
      throw Failure(ExitCode::kConflict, "the user already has a device named '" + record["name"].get<std::string>() + "'", "name");
    }
    throw;
  }
  nlohmann::json after = device_get(ctx, std::to_string(before["id"].get<std::int64_t>()));
  audit_change(ctx, spec, "update", before, after);
  tx.commit();
  return after;
}

}  // namespace httvps::admin
