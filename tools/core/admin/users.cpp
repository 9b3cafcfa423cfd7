// Users and their subscriptions. A user always has exactly one subscription row; creating
// a user starts it per domain::start_subscription(); changing the plan restarts it.

#include "core/admin/resource_ops.hpp"
#include "core/domain/subscription.hpp"
#include "core/units.hpp"

namespace httvps::admin {
namespace {

std::optional<std::string> ts(const std::optional<std::int64_t>& unix) {
  if (!unix) return std::nullopt;
  return units::format_timestamp(*unix);
}

domain::PlanTerms plan_terms(Context& ctx, const std::string& plan_name) {
  auto rows = ctx.db().exec("plan_get", {plan_name});
  if (rows.empty()) throw Failure(ExitCode::kNotFound, "no plan named '" + plan_name + "'", "plan");
  domain::PlanTerms terms;
  terms.duration_seconds = rows[0].opt_int64("duration");
  terms.start_on_first_use = rows[0].boolean("start_on_first_use");
  if (rows[0].boolean("archived")) {
    throw Failure(ExitCode::kConflict, "plan '" + plan_name + "' is archived; pick another", "plan");
  }
  return terms;
}

db::Params user_params(const nlohmann::json& r) {
  return {to_param(r["username"]), to_param(r["status"]), to_param(r["telegram_id"]),
          to_param(r["language"]), to_param(r["region"]),  to_param(r["note"])};
}

void check_next_plan(Context& ctx, const nlohmann::json& record) {
  if (record["next_plan"].is_null()) return;
  auto rows = ctx.db().exec("plan_get", {record["next_plan"].get<std::string>()});
  if (!rows.empty() && rows[0].boolean("archived")) {
    throw Failure(ExitCode::kConflict, "plan '" + record["next_plan"].get<std::string>() + "' is archived; pick another",
                  "next_plan");
  }
}

}  // namespace

nlohmann::json user_create(Context& ctx, const ResourceSpec& spec, const std::map<std::string, std::string>& inputs) {
  nlohmann::json record = apply_inputs(spec, {}, inputs, true);
  auto& db = ctx.db();
  db::Transaction tx(db);
  check_refs(ctx, spec, record);
  check_next_plan(ctx, record);
  auto start = domain::start_subscription(plan_terms(ctx, record["plan"].get<std::string>()), unix_now());
  if (record["status"].is_null()) record["status"] = start.status;
  std::optional<std::string> expires = ts(start.expires_at);
  if (inputs.count("expires_at") != 0) {
    expires = record["expires_at"].is_null() ? std::nullopt : std::optional<std::string>(record["expires_at"].get<std::string>());
  }
  try {
    auto id = db.exec("user_insert", user_params(record))[0].int64("id");
    db.exec("subscription_insert", {static_cast<long long>(id), to_param(record["plan"]), to_param(record["next_plan"]),
                                    ts(start.started_at), expires, ts(start.period_started_at)});
  } catch (const db::DbError& e) {
    rethrow_write_failure(spec, record, e);
  }
  nlohmann::json after = get_record(ctx, spec, record["username"].get<std::string>());
  audit_change(ctx, spec, "create", nullptr, after);
  tx.commit();
  return after;
}

nlohmann::json user_update(Context& ctx, const ResourceSpec& spec, const std::string& key,
                           const std::map<std::string, std::string>& inputs) {
  auto& db = ctx.db();
  db::Transaction tx(db);
  nlohmann::json before = get_record(ctx, spec, key);
  nlohmann::json record = apply_inputs(spec, editable_part(spec, before), inputs, false);
  check_refs(ctx, spec, record);
  if (inputs.count("next_plan") != 0) check_next_plan(ctx, record);
  const long long id = before["id"].get<std::int64_t>();
  const bool plan_changed = inputs.count("plan") != 0 && record["plan"] != before["plan"];
  if (plan_changed) {
    // A new plan is a new subscription: fresh period, usage back to zero, new expiry.
    auto start = domain::start_subscription(plan_terms(ctx, record["plan"].get<std::string>()), unix_now());
    // Under the same row lock as device creation, so a device created meanwhile is counted.
    db.exec("user_lock_for_devices", {before["username"].get<std::string>()});
    auto limit = db.exec("plan_get", {record["plan"].get<std::string>()})[0].opt_int64("device_limit");
    auto live = db.exec("device_count_live", {id})[0].int64("n");
    if (limit && live > *limit) {
      throw Failure(ExitCode::kConflict,
                    "user '" + key + "' has " + std::to_string(live) + " devices but plan '" +
                        record["plan"].get<std::string>() + "' allows " + std::to_string(*limit) + "; remove devices first",
                    "plan");
    }
    if (inputs.count("status") == 0) record["status"] = start.status;
    std::optional<std::string> expires = ts(start.expires_at);
    if (inputs.count("expires_at") != 0) {
      expires = record["expires_at"].is_null() ? std::nullopt : std::optional<std::string>(record["expires_at"].get<std::string>());
    }
    try {
      db.exec("subscription_restart", {id, to_param(record["plan"]), to_param(record["next_plan"]),
                                       ts(start.started_at), expires, ts(start.period_started_at)});
    } catch (const db::DbError& e) {
      rethrow_write_failure(spec, record, e);
    }
  } else {
    try {
      db.exec("subscription_amend", {id, to_param(record["next_plan"]), to_param(record["expires_at"])});
    } catch (const db::DbError& e) {
      rethrow_write_failure(spec, record, e);
    }
  }
  db::Params params{id};
  for (auto& p : user_params(record)) params.push_back(std::move(p));
  try {
    db.exec("user_update", params);
  } catch (const db::DbError& e) {
    rethrow_write_failure(spec, record, e);
  }
  nlohmann::json after = get_record(ctx, spec, record["username"].get<std::string>());
  audit_change(ctx, spec, "update", before, after);
  tx.commit();
  return after;
}

}  // namespace httvps::admin
