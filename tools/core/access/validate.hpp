#pragma once
// validate-device: may the device holding TOKEN connect now, with which limits, through
// which nodes? Loads the facts, asks domain::decide_access(), and applies the decision's
// side effects (on_hold start, period reset, status, hwid binding, last seen) only when it
// allows. Failed attempts are rate-limited per token prefix and per gateway.

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/app.hpp"
#include "core/cgi.hpp"
#include "core/domain/access.hpp"

namespace httvps::access {

struct GatewayIdentity {
  std::int64_t id = 0;
  std::string name;
};

struct ValidateRequest {
  std::string token;
  std::optional<std::string> hwid;
  std::optional<GatewayIdentity> gateway;  // the caller, in CGI mode
  bool dry_run = false;                    // decide only: no side effects, no rate-limit hits
  bool include_node_secrets = false;       // gateways get node passwords; CLI output does not
};

struct ValidateResult {
  domain::AccessDecision decision;
  std::optional<std::int64_t> device_id;
  std::optional<std::int64_t> user_id;
  std::string username;
  std::string device_name;
  nlohmann::json nodes = nlohmann::json::array();
};

// Throws Failure(kUsage) for a malformed token or hwid, Failure(kRateLimited) when the
// token's prefix or the gateway has failed too often. A well-formed token that matches
// nothing is a refusal with reason invalid_token, not an error.
ValidateResult validate_device(Context& ctx, const ValidateRequest& request, std::int64_t now);

// The answer document: verdict, reason, detail, ids, limits, nodes, cache_ttl.
nlohmann::json to_json(const ValidateResult& result);

// Authenticates a gateway from "Authorization: Bearer htg_…". Throws Failure(kUnauthorized)
// and rate-limits failures per client address (Failure(kRateLimited)).
GatewayIdentity authenticate_gateway(Context& ctx, const cgi::Request& request, std::int64_t now);

// POST /api/v1/validate-device: {"token": "...", "hwid": "..."} → 200 with the answer when
// allowed, 403 problem+json carrying the same members when refused.
cgi::Response serve_validate(Context& ctx, const cgi::Request& request);

}  // namespace httvps::access
