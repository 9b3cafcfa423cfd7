// Reads: usage over time (hourly and daily rollups) per user, device, node and region;
// live sessions; job runs; the audit log; the dashboard summary.

#include <charconv>

#include "core/admin/api_routes.hpp"
#include "core/admin/list_query.hpp"
#include "core/admin/resource_ops.hpp"
#include "core/contract/admin_api.hpp"
#include "core/units.hpp"

namespace httvps::admin {
namespace {

using contract::Access;
using contract::Area;

std::int64_t time_param(const cgi::Request& req, const char* name, std::int64_t fallback) {
  auto v = req.query_param(name);
  if (!v || v->empty()) return fallback;
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec == std::errc() && ptr == v->data() + v->size()) return n;
  try {
    return units::parse_timestamp(*v);
  } catch (const Failure&) {
    throw usage_error(std::string(name) + " must be unix seconds or an RFC 3339 time", name);
  }
}

void only_params(const cgi::Request& req, std::initializer_list<std::string_view> allowed) {
  for (const auto& [k, _] : req.query) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      throw usage_error("unknown query parameter '" + k + "'", k);
    }
  }
}

// GET /usage?scope=user|device|node|region&key=K&granularity=hour|day&from=T&to=T
cgi::Response usage(ApiCall& call) {
  const auto& req = call.req;
  only_params(req, {"scope", "key", "granularity", "from", "to"});
  const std::string scope = req.query_param("scope").value_or("");
  const std::string granularity = req.query_param("granularity").value_or("day");
  if (granularity != "hour" && granularity != "day") throw usage_error("granularity must be hour or day", "granularity");
  const std::int64_t now = unix_now();
  const std::int64_t span = granularity == "hour" ? 48 * 3600 : 30 * 86400;
  const std::int64_t to = time_param(req, "to", now + 1);
  const std::int64_t from = time_param(req, "from", to - span);
  if (from >= to) throw usage_error("from must be before to", "from");
  if (to - from > 400LL * 86400) throw usage_error("at most 400 days at a time", "from");
  auto& db = call.ctx.db();
  db::Result rows = [&]() -> db::Result {
    const long long f = from, t = to;
    if (scope == "all") return db.exec("usage_series_all", {granularity, f, t});
    const std::string key = req.query_param("key").value_or("");
    if (key.empty()) throw usage_error("key is required (a username, device id, node or region name)", "key");
    if (scope == "region") {
      get_record(call.ctx, resource("region"), key);  // 404 for an unknown region
      return db.exec("usage_series_region", {granularity, key, f, t});
    }
    std::string query = scope == "user" ? "scope_user_id" : scope == "node" ? "scope_node_id" : "scope_device_id";
    if (scope != "user" && scope != "node" && scope != "device") {
      throw usage_error("scope must be user, device, node, region or all", "scope");
    }
    if (scope == "device" && key.find_first_not_of("0123456789") != std::string::npos) {
      throw usage_error("a device is named by its id", "key");
    }
    auto id = db.exec(query, {key});
    if (id.empty()) throw not_found("no " + scope + " '" + key + "'");
    return db.exec("usage_series", {granularity, scope, static_cast<long long>(id[0].int64("id")), f, t});
  }();
  return cgi::json_response(200, {{"scope", scope},
                                  {"key", req.query_param("key").value_or("")},
                                  {"granularity", granularity},
                                  {"from", units::format_timestamp(from)},
                                  {"to", units::format_timestamp(to)},
                                  {"points", rows.to_json()}});
}

cgi::Response sessions(ApiCall& call) {
  only_params(call.req, {"within"});
  std::int64_t within = time_param(call.req, "within", 300);
  if (within < 1 || within > 86400) throw usage_error("within must be 1-86400 seconds", "within");
  return cgi::json_response(200, {{"items", call.ctx.db().exec("sessions_live", {static_cast<long long>(within), 1000LL}).to_json()}});
}

cgi::Response job_runs(ApiCall& call) {
  ListQuery q = parse_list_query(call.req.query, {{"job"}, {}, ""});
  db::Param job = q.filters.count("job") ? db::Param(q.filters["job"]) : db::Param(std::nullopt);
  auto rows = call.ctx.db().exec("job_runs_list", {job, static_cast<long long>(q.limit), static_cast<long long>(q.offset)});
  return cgi::json_response(200, {{"items", rows.to_json()}, {"limit", q.limit}, {"offset", q.offset}});
}

cgi::Response audit_log(ApiCall& call) {
  ListQuery q = parse_list_query(call.req.query, {{"target_kind", "actor"}, {}, ""});
  auto opt = [&](const char* k) { return q.filters.count(k) ? db::Param(q.filters[k]) : db::Param(std::nullopt); };
  auto rows = call.ctx.db().exec("audit_list", {opt("target_kind"), opt("actor"), static_cast<long long>(q.limit),
                                                static_cast<long long>(q.offset)});
  return cgi::json_response(200, {{"items", rows.to_json()}, {"limit", q.limit}, {"offset", q.offset}});
}

cgi::Response dashboard(ApiCall& call) {
  only_params(call.req, {});
  auto& db = call.ctx.db();
  const std::int64_t now = unix_now();
  nlohmann::json users = nlohmann::json::object();
  for (auto row : db.exec("dashboard_users_by_status")) users[row.text("status")] = row.int64("n");
  nlohmann::json nodes = db.exec("dashboard_nodes_by_health").to_json();
  auto today = db.exec("dashboard_traffic_since", {static_cast<long long>(now - now % 86400)})[0].to_json();
  auto chart = db.exec("usage_series_all", {"day", static_cast<long long>(now - now % 86400 - 13 * 86400),
                                            static_cast<long long>(now + 1)});
  return cgi::json_response(200, {{"users_by_status", users},
                                  {"nodes_by_health", nodes},
                                  {"traffic_today", today},
                                  {"live_sessions", db.exec("dashboard_live_sessions")[0].int64("n")},
                                  {"last_job_runs", db.exec("job_runs_list", {std::nullopt, 5LL, 0LL}).to_json()},
                                  {"traffic_14d", chart.to_json()}});
}

}  // namespace

void add_read_routes(std::vector<Route>& routes) {
  const std::string base(contract::kAdminApiBase);
  routes.push_back({"GET", base + "/dashboard", true, Area::kUsage, Access::kRead, dashboard});
  routes.push_back({"GET", base + "/usage", true, Area::kUsage, Access::kRead, usage});
  routes.push_back({"GET", base + "/sessions", true, Area::kUsage, Access::kRead, sessions});
  routes.push_back({"GET", base + "/job-runs", true, Area::kJobs, Access::kRead, job_runs});
  routes.push_back({"GET", base + "/audit", true, Area::kAudit, Access::kRead, audit_log});
}

}  // namespace httvps::admin
