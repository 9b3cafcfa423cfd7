#pragma once
// The admin API's route table and the pieces its handlers share. api.cpp owns dispatch,
// authentication and the role check (the only place roles are checked); the handlers in
// api_auth.cpp, api_resources.cpp, api_bulk.cpp and api_reads.cpp only do their work.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/admin/token.hpp"
#include "core/app.hpp"
#include "core/cgi.hpp"
#include "core/contract/roles.hpp"

namespace httvps::admin {

// The authenticated admin of a request.
struct Session {
  TokenClaims claims;
  std::string username;
  contract::Role role = contract::Role::kViewer;
};

struct ApiCall {
  Context& ctx;
  const cgi::Request& req;
  std::map<std::string, std::string> params;  // {key} segments of the route pattern
  std::optional<Session> session;             // set for every authenticated route

  const std::string& param(const std::string& name) const { return params.at(name); }
};

using ApiHandler = std::function<cgi::Response(ApiCall&)>;

struct Route {
  std::string method;
  std::string pattern;  // "/api/v1/admin/users/{key}"; a {name} matches one non-empty segment
  bool authenticated = true;
  contract::Area area = contract::Area::kSelf;
  contract::Access access = contract::Access::kRead;
  ApiHandler handler;
};

// Every route of the httvps CGI, in match order.
const std::vector<Route>& api_routes();

// Matches PATH against PATTERN, filling PARAMS. Pure.
bool match_route(const std::string& pattern, const std::string& path, std::map<std::string, std::string>& params);

// ---- handler groups (each appends its routes) ----
void add_auth_routes(std::vector<Route>& routes);
void add_resource_routes(std::vector<Route>& routes);
void add_bulk_routes(std::vector<Route>& routes);
void add_read_routes(std::vector<Route>& routes);

// ---- shared by the handlers ----

// The signing key of admin tokens (admin.token_key_file, else derived from secrets.key).
std::string admin_token_key(Context& ctx);
// Verifies the request's bearer token against the key and the database. Throws
// Failure(kUnauthorized).
Session authenticate(Context& ctx, const cgi::Request& req);

// The request body as text inputs for the resource layer: strings as given, numbers and
// booleans in text, null as "unlimited"/"never" (the CLI's words for clearing a value).
// Throws Failure(kUsage) naming a member that is an object or an array.
std::map<std::string, std::string> inputs_from_json(const nlohmann::json& body);

cgi::Response created(const nlohmann::json& body);
cgi::Response no_content();

}  // namespace httvps::admin
