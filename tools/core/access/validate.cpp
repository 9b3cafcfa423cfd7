#include "core/access/validate.hpp"

#include <algorithm>
#include <ctime>

#include "core/access/rate_limit.hpp"
#include "core/admin/audit.hpp"
#include "core/crypto.hpp"
#include "core/keys/tokens.hpp"
#include "core/log.hpp"
#include "core/units.hpp"

namespace httvps::access {
namespace {

// Failed attempts allowed per minute: per token prefix (a guesser must hit the prefix of a
// real token, then guess 256 bits), per gateway, and per client address for gateway auth.
constexpr std::int64_t kPrefixFailures = 10;
constexpr std::int64_t kGatewayFailures = 600;
constexpr std::int64_t kGatewayAuthFailures = 20;
constexpr std::int64_t kRefusalCacheSeconds = 10;

std::vector<RateLimit> limits_for(const std::string& prefix, const ValidateRequest& r) {
  std::vector<RateLimit> out{{"vd:prefix:" + prefix, kPrefixFailures, 60}};
  if (r.gateway) out.push_back({"vd:gateway:" + std::to_string(r.gateway->id), kGatewayFailures, 60});
  return out;
}

// Counts one failed attempt in every bucket; throws 429 once any bucket is over its limit.
// Only failures are counted and limited: a valid token is never locked out by someone
// else's guessing, while a guesser is held to kPrefixFailures tries a minute per prefix.
void count_failure(db::Connection& db, const std::vector<RateLimit>& limits, std::int64_t now) {
  for (const auto& l : limits) {
    RateState s = hit(db, l, now);
    if (s.hits_over_limit) {
      throw rate_limited(s, now, l.bucket.rfind("vd:prefix:", 0) == 0 ? "this token" : "this gateway");
    }
  }
}

domain::AccessFacts load_facts(db::Connection& db, std::int64_t device_id, std::int64_t now, ValidateResult& result,
                               std::optional<std::int64_t>& region_id, std::optional<std::int64_t>& node_id) {
  auto rows = db.exec("access_facts", {static_cast<long long>(device_id)});
  if (rows.empty()) throw internal_error("credential without a device or subscription");
  auto r = rows[0];
  result.device_id = device_id;
  result.user_id = r.int64("user_id");
  result.username = r.text("username");
  result.device_name = r.text("device_name");
  region_id = r.opt_int64("region_id");
  node_id = r.opt_int64("node_id");
  domain::AccessFacts f;
  f.now = now;
  f.user_status = r.text("user_status");
  f.started_at = r.opt_int64("started_at");
  f.expires_at = r.opt_int64("expires_at");
  f.period_started_at = r.int64("period_started_at");
  f.used_bytes = r.int64("used_bytes");
  f.data_limit = r.opt_int64("data_limit_bytes");
  f.duration = r.opt_int64("duration_seconds");
  f.speed_limit_bps = r.opt_int64("speed_limit_bps");
  f.device_limit = r.opt_int64("device_limit");
  f.reset = domain::parse_reset_strategy(r.text("reset_strategy"));
  f.device_revoked = r.text("device_status") != "active";
  f.device_rank = r.int64("device_rank");
  f.device_hwid = r.opt_text("hwid");
  f.region_has_node =
      region_id && db.exec("region_has_node", {static_cast<long long>(*region_id)})[0].boolean("present");
  // Usage stored but not yet aggregated counts against the limit too, from the start of
  // the period that is current now (after a reset that is due).
  if (f.data_limit && f.started_at) {
    std::int64_t since = f.period_started_at;
    if (domain::reset_due(f.reset, *f.started_at, f.period_started_at, now)) since = *domain::period_start(f.reset, *f.started_at, now);
    f.unaggregated_bytes =
        db.exec("user_unaggregated_billed", {static_cast<long long>(*result.user_id), static_cast<long long>(since)})[0]
            .int64("billed");
  }
  return f;
}

void apply_side_effects(Context& ctx, const ValidateResult& res, const domain::AccessFacts& facts,
                        const ValidateRequest& req) {
  const auto& d = res.decision;
  auto& db = ctx.db();
  db::Transaction tx(db);
  const long long user_id = *res.user_id;
  nlohmann::json changes = nlohmann::json::object();
  if (d.start_subscription) {
    db.exec("subscription_start", {user_id, static_cast<long long>(d.started_at),
                                   d.new_expires_at ? db::Param(static_cast<long long>(*d.new_expires_at))
                                                    : db::Param(std::nullopt)});
    changes["started_at"] = units::format_timestamp(d.started_at);
  }
  if (d.reset_usage && !d.start_subscription) {
    db.exec("subscription_reset_period", {user_id, static_cast<long long>(d.new_period_started_at),
                                          static_cast<long long>(facts.period_started_at)});
    changes["period_started_at"] = units::format_timestamp(d.new_period_started_at);
  }
  if (!d.new_status.empty()) {
    db.exec("user_set_status", {user_id, d.new_status});
    changes["status"] = d.new_status;
  }
  db.exec("device_seen", {static_cast<long long>(*res.device_id),
                          d.bind_hwid ? db::Param(*req.hwid) : db::Param(std::nullopt)});
  if (!changes.empty()) {
    admin::AuditEntry e;
    e.actor = req.gateway ? "gateway:" + req.gateway->name : ctx.actor();
    e.action = "subscription.validate";
    e.target_kind = "user";
    e.target_id = std::to_string(user_id);
    e.before = {{"status", facts.user_status}};
    e.after = changes;
    e.request_id = log::request_id();
    admin::audit(db, e);
  }
  tx.commit();
}

nlohmann::json load_nodes(Context& ctx, std::optional<std::int64_t> region_id, std::optional<std::int64_t> node_id,
                          bool include_secrets) {
  nlohmann::json nodes = nlohmann::json::array();
  if (!region_id) return nodes;
  auto rows = ctx.db().exec("gateway_nodes_for_device", {static_cast<long long>(*region_id),
                                                        static_cast<long long>(node_id.value_or(0))});
  for (auto r : rows) {
    nlohmann::json n = {{"id", r.int64("id")},   {"name", r.text("name")},     {"kind", r.text("kind")},
                        {"host", r.text("host")}, {"port", r.int64("port")},    {"method", r.text("method")},
                        {"health", r.text("health")},
                        {"usage_multiplier", r.number("usage_multiplier")}};
    if (include_secrets) {
      n["password"] = crypto::open_stored(ctx.secrets_key(), r.text("secret_sealed"),
                                          "node_secrets:" + std::to_string(r.int64("id")),
                                          "secret of node '" + r.text("name") + "'");
    }
    nodes.push_back(std::move(n));
  }
  return nodes;
}

}  // namespace

ValidateResult validate_device(Context& ctx, const ValidateRequest& req, std::int64_t now) {
  auto& db = ctx.db();
  std::string prefix;
  try {
    prefix = keys::lookup_prefix(req.token, keys::kDeviceToken, "token");
  } catch (const Failure&) {
    if (req.gateway && !req.dry_run) {
      count_failure(db, {{"vd:gateway:" + std::to_string(req.gateway->id), kGatewayFailures, 60}}, now);
    }
    throw;
  }
  if (req.include_node_secrets) ctx.secrets_key();  // a missing key fails before anything else
  if (req.hwid && (req.hwid->empty() || req.hwid->size() > 256)) {
    throw usage_error("hwid must be 1 to 256 characters", "hwid");
  }
  const auto limits = limits_for(prefix, req);

  ValidateResult result;
  std::optional<std::int64_t> device_id;
  bool revoked = false;
  for (auto row : db.exec("credentials_by_prefix", {"gateway_token", prefix})) {
    if (keys::token_matches(req.token, row.text("secret_hash"))) {
      device_id = row.int64("device_id");
      revoked = row.boolean("revoked");
      break;
    }
  }
  if (!device_id) {
    if (!req.dry_run) count_failure(db, limits, now);
    result.decision.allowed = false;
    result.decision.reason = domain::Reason::kInvalidToken;
    result.decision.detail = "no device has this token";
    return result;
  }
  std::optional<std::int64_t> region_id, node_id;
  domain::AccessFacts facts = load_facts(db, *device_id, now, result, region_id, node_id);
  facts.credential_revoked = revoked;
  facts.presented_hwid = req.hwid;
  facts.max_cache_seconds = 60;
  result.decision = domain::decide_access(facts);
  if (!result.decision.allowed) {
    if (revoked && !req.dry_run) count_failure(db, limits, now);
    result.decision.cache_seconds = kRefusalCacheSeconds;
    return result;
  }
  // Everything that can fail comes before the side effects are stored.
  result.nodes = load_nodes(ctx, region_id, node_id, req.include_node_secrets);
  if (!req.dry_run) apply_side_effects(ctx, result, facts, req);
  return result;
}

nlohmann::json to_json(const ValidateResult& r) {
  const auto& d = r.decision;
  nlohmann::json j = {{"verdict", d.allowed ? "allowed" : "refused"},
                      {"reason", domain::reason_name(d.reason)},
                      {"detail", d.detail},
                      {"cache_ttl", d.cache_seconds}};
  if (r.device_id) {
    j["device_id"] = *r.device_id;
    j["user_id"] = *r.user_id;
    j["username"] = r.username;
    j["device"] = r.device_name;
  }
  if (d.allowed) {
    j["limits"] = {
        {"bytes_remaining", d.bytes_remaining ? nlohmann::json(*d.bytes_remaining) : nlohmann::json(nullptr)},
        {"speed_limit_bps", d.speed_limit_bps ? nlohmann::json(*d.speed_limit_bps) : nlohmann::json(nullptr)},
        {"expires_at", d.expires_at ? nlohmann::json(units::format_timestamp(*d.expires_at)) : nlohmann::json(nullptr)}};
    j["nodes"] = r.nodes;
  }
  return j;
}

GatewayIdentity authenticate_gateway(Context& ctx, const cgi::Request& req, std::int64_t now) {
  auto& db = ctx.db();
  RateLimit by_addr{"gwauth:" + (req.remote_addr.empty() ? std::string("unknown") : req.remote_addr),
                    kGatewayAuthFailures, 60};
  // As for device tokens, only failures count: a valid gateway always gets through.
  auto fail = [&](const std::string& why) {
    RateState state = hit(db, by_addr, now);
    if (state.hits_over_limit) return rate_limited(state, now, "gateway authentication from this address");
    return Failure(ExitCode::kUnauthorized, why, "Authorization").with_header("WWW-Authenticate", "Bearer");
  };
  std::string auth = req.header("authorization").value_or("");
  std::string scheme = auth.substr(0, 7);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "bearer ") throw fail("a gateway credential is required: Authorization: Bearer htg_…");  // RFC 7235: case-insensitive
  std::string token = auth.substr(7);
  std::string prefix;
  try {
    prefix = keys::lookup_prefix(token, keys::kGatewayToken, "Authorization");
  } catch (const Failure& f) {
    throw fail(std::string("malformed gateway credential: ") + f.what());
  }
  auto rows = db.exec("gateway_by_prefix", {prefix});
  if (rows.empty() || !keys::token_matches(token, rows[0].text("credential_hash"))) {
    throw fail("wrong gateway credential");
  }
  if (rows[0].boolean("disabled")) throw Failure(ExitCode::kForbidden, "this gateway is disabled");
  GatewayIdentity id{rows[0].int64("id"), rows[0].text("name")};
  db.exec("gateway_touch", {static_cast<long long>(id.id), req.remote_addr});
  return id;
}

cgi::Response serve_validate(Context& ctx, const cgi::Request& req) {
  if (req.path != "/api/v1/validate-device") throw not_found("no endpoint at " + req.path);
  if (req.method != "POST") {
    throw Failure(ExitCode::kMethodNotAllowed, "use POST on " + req.path).with_header("Allow", "POST");
  }
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  GatewayIdentity gateway = authenticate_gateway(ctx, req, now);
  ctx.set_actor("gateway:" + gateway.name);
  nlohmann::json body = req.json_body();
  ValidateRequest vr;
  if (!body.contains("token") || !body["token"].is_string()) throw usage_error("token must be a string", "token");
  vr.token = body["token"].get<std::string>();
  if (body.contains("hwid") && !body["hwid"].is_null()) {
    if (!body["hwid"].is_string()) throw usage_error("hwid must be a string", "hwid");
    vr.hwid = body["hwid"].get<std::string>();
  }
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (it.key() != "token" && it.key() != "hwid") throw usage_error("unknown member '" + it.key() + "'", it.key());
  }
  vr.gateway = gateway;
  vr.include_node_secrets = true;
  ValidateResult result = validate_device(ctx, vr, now);
  nlohmann::json answer = to_json(result);
  if (result.decision.allowed) return cgi::json_response(200, answer);
  Failure f(ExitCode::kRefused, result.decision.detail,
            result.decision.reason == domain::Reason::kHwidMismatch ? "hwid" : "token");
  cgi::Response r = cgi::problem_response(f, req.request_id, req.path);
  nlohmann::json problem = nlohmann::json::parse(r.body);
  problem.update(answer);
  problem["detail"] = result.decision.detail;
  r.body = problem.dump();
  return r;
}

}  // namespace httvps::access
