// Resource endpoints: list/show/create/update/delete of plans, regions, nodes, users,
// devices, admins and gateways over the same code as the CLI (resource_ops.hpp), device
// credentials over the same code as issue-key (keys/issue.hpp), node states, and
// subscriptions as a view of users.

#include "core/admin/api_routes.hpp"
#include "core/admin/list_query.hpp"
#include "core/admin/resource_ops.hpp"
#include "core/contract/admin_api.hpp"
#include "core/keys/issue.hpp"
#include "core/qr.hpp"

namespace httvps::admin {
namespace {

using contract::Access;
using contract::Area;

Area area_of(const std::string& resource_name) {
  if (resource_name == "plan") return Area::kPlans;
  if (resource_name == "region") return Area::kRegions;
  if (resource_name == "node") return Area::kNodes;
  if (resource_name == "user") return Area::kUsers;
  if (resource_name == "device") return Area::kDevices;
  if (resource_name == "admin") return Area::kAdmins;
  return Area::kGateways;
}

ListShape shape_of(const ResourceSpec& spec) {
  ListShape shape;
  for (const auto& f : spec.filters) {
    if (f.name != "search") shape.filters.push_back(f.name);
  }
  for (const auto& c : spec.columns) shape.sortable.push_back(c.key);
  shape.sortable.push_back("created_at");
  shape.search_column = spec.name == "device" ? "name" : spec.key_field;
  return shape;
}

cgi::Response list(const ResourceSpec& spec, ApiCall& call) {
  ListShape shape = shape_of(spec);
  ListQuery q = parse_list_query(call.req.query, shape);
  ListRequest lr;
  lr.filters = q.filters;
  lr.limit = kMaxListRows;
  return cgi::json_response(200, page_of(list_records(call.ctx, spec, lr), q, shape.search_column));
}

// The body minus "password" (admins only), which never travels as a field.
std::optional<std::string> take_password(const ResourceSpec& spec, nlohmann::json& body) {
  auto it = body.find("password");
  if (it == body.end()) return std::nullopt;
  if (spec.name != "admin") throw usage_error("unknown field 'password' for " + spec.name, "password");
  if (!it->is_string()) throw usage_error("password: must be a string", "password");
  std::string p = it->get<std::string>();
  body.erase(it);
  return p;
}

// The device and its links (shown once), with each link's QR code as rows of '0'/'1'
// modules, so the panel can draw them without a QR encoder of its own.
nlohmann::json with_links(Context& ctx, const keys::IssuedKeys& k) {
  nlohmann::json links = keys::share_links(ctx, k);
  nlohmann::json qr = nlohmann::json::object();
  for (auto it = links.begin(); it != links.end(); ++it) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& row : qr_matrix(it.value().get<std::string>())) {
      std::string line;
      for (bool dark : row) line += dark ? '1' : '0';
      rows.push_back(std::move(line));
    }
    qr[it.key()] = std::move(rows);
  }
  return {{"device", k.device}, {"links", links}, {"qr", qr}};
}

// null clears a field only where the field may be empty; elsewhere it is a 400.
void check_nulls(const ResourceSpec& spec, const nlohmann::json& body) {
  for (auto it = body.begin(); it != body.end(); ++it) {
    const FieldSpec* f = find_field(spec, it.key());
    if (it.value().is_null() && f != nullptr && !f->nullable) throw usage_error(it.key() + ": cannot be null", it.key());
  }
}

cgi::Response create(const ResourceSpec& spec, ApiCall& call) {
  nlohmann::json body = call.req.json_body();
  check_nulls(spec, body);
  if (spec.name == "device") {
    // A device is created with its credentials, as issue-key does; they are shown once.
    auto inputs = inputs_from_json(body);
    for (const auto& [k, _] : inputs) {
      if (k != "user" && k != "name" && k != "region") throw usage_error("unknown field '" + k + "' for device", k);
    }
    if (!inputs.count("user")) throw usage_error("device needs user", "user");
    if (!inputs.count("name")) throw usage_error("device needs name", "name");
    // The name and region are checked by the device rules before anything is written.
    apply_inputs(spec, {}, inputs, true);
    keys::IssueRequest r{inputs["user"], inputs["name"], std::nullopt};
    if (inputs.count("region") && inputs["region"] != "unlimited") r.region = inputs["region"];
    return created(with_links(call.ctx, keys::issue_device(call.ctx, r)));
  }
  auto password = take_password(spec, body);
  return created(create_record(call.ctx, spec, inputs_from_json(body), password));
}

cgi::Response update(const ResourceSpec& spec, ApiCall& call) {
  nlohmann::json body = call.req.json_body();
  check_nulls(spec, body);
  auto password = take_password(spec, body);
  return cgi::json_response(200, update_record(call.ctx, spec, call.param("key"), inputs_from_json(body), password));
}

cgi::Response set_node_state(ApiCall& call, const char* state) {
  return cgi::json_response(200, update_record(call.ctx, resource("node"), call.param("key"), {{"admin_state", state}}));
}

// Subscriptions: each user has one; this view lists them and changes plan and expiry.
const std::vector<std::string> kSubscriptionColumns = {"username", "status", "plan", "next_plan", "used",
                                                       "data_limit", "expires_at", "devices"};

nlohmann::json subscription_of(const nlohmann::json& user) {
  nlohmann::json s = nlohmann::json::object();
  for (const auto& c : kSubscriptionColumns) s[c] = user.contains(c) ? user[c] : nlohmann::json(nullptr);
  for (const char* extra : {"started_at", "period_started_at", "upload_bytes", "download_bytes", "reset_strategy"}) {
    if (user.contains(extra)) s[extra] = user[extra];
  }
  return s;
}

cgi::Response subscriptions_list(ApiCall& call) {
  ListShape shape{{"status", "plan"}, kSubscriptionColumns, "username"};
  ListQuery q = parse_list_query(call.req.query, shape);
  ListRequest lr;
  lr.filters = q.filters;
  lr.limit = kMaxListRows;
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& u : list_records(call.ctx, resource("user"), lr)) rows.push_back(subscription_of(u));
  return cgi::json_response(200, page_of(rows, q, "username"));
}

cgi::Response subscription_update(ApiCall& call) {
  nlohmann::json body = call.req.json_body();
  check_nulls(resource("user"), body);
  auto inputs = inputs_from_json(body);
  for (const auto& [k, _] : inputs) {
    if (k != "plan" && k != "next_plan" && k != "expires_at") {
      throw usage_error("a subscription has plan, next_plan and expires_at; not '" + k + "'", k);
    }
  }
  return cgi::json_response(200, subscription_of(update_record(call.ctx, resource("user"), call.param("key"), inputs)));
}

}  // namespace

void add_resource_routes(std::vector<Route>& routes) {
  const std::string base(contract::kAdminApiBase);
  routes.push_back({"GET", base + "/subscriptions", true, Area::kSubscriptions, Access::kRead, subscriptions_list});
  routes.push_back({"GET", base + "/subscriptions/{key}", true, Area::kSubscriptions, Access::kRead, [](ApiCall& c) {
                      return cgi::json_response(200, subscription_of(get_record(c.ctx, resource("user"), c.param("key"))));
                    }});
  routes.push_back({"PATCH", base + "/subscriptions/{key}", true, Area::kSubscriptions, Access::kWrite, subscription_update});

  routes.push_back({"POST", base + "/devices/{key}/rotate", true, Area::kKeys, Access::kWrite, [](ApiCall& c) {
                      return cgi::json_response(200, with_links(c.ctx, keys::rotate_device(c.ctx, c.param("key"))));
                    }});
  routes.push_back({"POST", base + "/devices/{key}/revoke", true, Area::kKeys, Access::kWrite, [](ApiCall& c) {
                      return cgi::json_response(200, keys::revoke_device(c.ctx, c.param("key")));
                    }});
  for (const char* verb : {"drain", "disable", "enable"}) {
    const char* state = std::string(verb) == "drain" ? "draining" : std::string(verb) == "disable" ? "disabled" : "active";
    routes.push_back({"POST", base + "/nodes/{key}/" + verb, true, Area::kNodes, Access::kWrite,
                      [state](ApiCall& c) { return set_node_state(c, state); }});
  }

  for (const auto& spec : resources()) {
    const ResourceSpec* s = &spec;
    const Area area = area_of(spec.name);
    const std::string path = base + "/" + spec.plural;
    routes.push_back({"GET", path, true, area, Access::kRead, [s](ApiCall& c) { return list(*s, c); }});
    routes.push_back({"POST", path, true, spec.name == "device" ? Area::kKeys : area, Access::kWrite,
                      [s](ApiCall& c) { return create(*s, c); }});
    routes.push_back({"GET", path + "/{key}", true, area, Access::kRead,
                      [s](ApiCall& c) { return cgi::json_response(200, get_record(c.ctx, *s, c.param("key"))); }});
    routes.push_back({"PATCH", path + "/{key}", true, area, Access::kWrite, [s](ApiCall& c) { return update(*s, c); }});
    routes.push_back({"DELETE", path + "/{key}", true, area, Access::kWrite,
                      [s](ApiCall& c) { return cgi::json_response(200, delete_record(c.ctx, *s, c.param("key"))); }});
  }
}

}  // namespace httvps::admin
