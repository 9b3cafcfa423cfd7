// Bulk actions on users chosen by a filter: extend expiry, reset usage, disable, delete
// expired. A dry run (the default) only counts; a real run changes each user through the
// same code as a single change, so every user gets its own audit row, plus one row for
// the bulk action itself.

#include "core/admin/api_routes.hpp"
#include "core/admin/audit.hpp"
#include "core/admin/list_query.hpp"
#include "core/admin/resource_ops.hpp"
#include "core/contract/admin_api.hpp"
#include "core/log.hpp"
#include "core/units.hpp"

namespace httvps::admin {
namespace {

using contract::Access;
using contract::Area;

// Whether ACTION would change USER (a row of user_list). Pure.
bool would_change(const contract::BulkRequest& r, const nlohmann::json& user) {
  if (r.action == "extend_expiry") return user["expires_at"].is_string();
  if (r.action == "reset_usage") return user["used"].is_number() && user["used"].get<std::int64_t>() > 0;
  if (r.action == "disable") return user["status"] != "disabled";
  return user["status"] == "expired";  // delete_expired
}

void apply_one(Context& ctx, const contract::BulkRequest& r, const nlohmann::json& user, std::int64_t extend_seconds) {
  const std::string username = user["username"].get<std::string>();
  const ResourceSpec& spec = resource("user");
  if (r.action == "extend_expiry") {
    std::int64_t expires = units::parse_timestamp(user["expires_at"].get<std::string>()) + extend_seconds;
    std::map<std::string, std::string> inputs{{"expires_at", units::format_timestamp(expires)}};
    if (user["status"] == "expired" && expires > unix_now()) inputs["status"] = "active";
    update_record(ctx, spec, username, inputs);
  } else if (r.action == "reset_usage") {
    auto& db = ctx.db();
    db::Transaction tx(db);
    nlohmann::json before = get_record(ctx, spec, username);
    db.exec("subscription_reset_usage", {before["id"].get<std::int64_t>()});
    nlohmann::json after = get_record(ctx, spec, username);
    audit_change(ctx, spec, "reset_usage", before, after);
    tx.commit();
  } else if (r.action == "disable") {
    update_record(ctx, spec, username, {{"status", "disabled"}});
  } else {
    delete_record(ctx, spec, username);
  }
}

cgi::Response bulk(ApiCall& call) {
  contract::BulkRequest r;
  if (auto e = contract::parse(call.req.json_body(), r)) throw usage_error(e->message, e->field);
  std::int64_t extend_seconds = 0;
  if (r.extend_by) {
    try {
      extend_seconds = units::parse_duration(*r.extend_by);
    } catch (const Failure& f) {
      throw usage_error(std::string("extend_by: ") + f.what(), "extend_by");
    }
    if (extend_seconds <= 0) throw usage_error("extend_by: must be positive", "extend_by");
  }
  ListRequest lr;
  if (r.filter.status) lr.filters["status"] = *r.filter.status;
  if (r.filter.plan) lr.filters["plan"] = *r.filter.plan;
  if (r.filter.search) lr.filters["search"] = *r.filter.search;
  lr.limit = kMaxListRows;
  nlohmann::json users = list_records(call.ctx, resource("user"), lr);

  contract::BulkResult result;
  result.action = r.action;
  result.dry_run = r.dry_run;
  result.matched = static_cast<std::int64_t>(users.size());
  for (const auto& u : users) {
    if (!would_change(r, u)) continue;
    if (result.sample.size() < 20) result.sample.push_back(u["username"].get<std::string>());
    if (!r.dry_run) apply_one(call.ctx, r, u, extend_seconds);
    ++result.changed;
  }
  if (!r.dry_run) {
    AuditEntry e;
    e.actor = call.ctx.actor();
    e.action = "user.bulk." + r.action;
    e.target_kind = "user";
    e.after = {{"request", contract::to_json(r)}, {"matched", result.matched}, {"changed", result.changed}};
    e.request_id = log::request_id();
    audit(call.ctx.db(), e);
  }
  return cgi::json_response(200, contract::to_json(result));
}

}  // namespace

void add_bulk_routes(std::vector<Route>& routes) {
  routes.push_back({"POST", std::string(contract::kAdminApiBase) + "/users/bulk", true, Area::kUsers, Access::kWrite, bulk});
}

}  // namespace httvps::admin
