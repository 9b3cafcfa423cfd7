// Admin login, logout, whoami and password change; the token check every other route uses.

#include <fstream>
#include <regex>
#include <sstream>

#include "core/access/rate_limit.hpp"
#include "core/admin/api_routes.hpp"
#include "core/admin/audit.hpp"
#include "core/admin/resource_ops.hpp"
#include "core/contract/admin_api.hpp"
#include "core/crypto.hpp"
#include "core/log.hpp"

namespace httvps::admin {
namespace {

using contract::Access;
using contract::Area;

// Failed logins per username and per client address; only failures count.
access::RateLimit user_limit(const std::string& username) { return {"login:user:" + username, 5, 300}; }
access::RateLimit addr_limit(const std::string& addr) { return {"login:addr:" + addr, 20, 60}; }

// A well-formed scrypt hash of a password nobody knows: verifying against it costs as much
// as a real check, so unknown usernames answer as slowly as wrong passwords.
const std::string& decoy_hash() {
  static const std::string hash = crypto::hash_password(crypto::random_token("", 24));
  return hash;
}

template <typename T>
T parse_body(const cgi::Request& req) {
  T value;
  if (auto e = contract::parse(req.json_body(), value)) throw usage_error(e->message, e->field);
  return value;
}

Failure wrong_login() {
  return Failure(ExitCode::kUnauthorized, "wrong username or password", "password").with_header("WWW-Authenticate", "Bearer");
}

void audit_self(Context& ctx, const std::string& action, std::int64_t admin_id, const nlohmann::json& after) {
  AuditEntry e;
  e.actor = ctx.actor();
  e.action = action;
  e.target_kind = "admin";
  e.target_id = std::to_string(admin_id);
  e.after = after;
  e.request_id = log::request_id();
  audit(ctx.db(), e);
}

contract::LoginResponse issue_token(Context& ctx, std::int64_t id, const std::string& username, contract::Role role,
                                    std::int64_t epoch) {
  const std::int64_t now = unix_now();
  TokenClaims c;
  c.subject = username;
  c.admin_id = id;
  c.role = role;
  c.epoch = epoch;
  c.issued_at = now;
  c.expires_at = now + ctx.config().admin_token_ttl;
  c.id = new_token_id();
  contract::LoginResponse r;
  r.token = sign_token(c, admin_token_key(ctx));
  r.expires_at = c.expires_at;
  r.expires_in = ctx.config().admin_token_ttl;
  r.username = username;
  r.role = std::string(contract::role_name(role));
  return r;
}

cgi::Response login(ApiCall& call) {
  auto body = parse_body<contract::LoginRequest>(call.req);
  Context& ctx = call.ctx;
  auto& db = ctx.db();
  const std::int64_t now = unix_now();
  static const std::regex kName("^[a-z0-9][a-z0-9._-]{0,63}$");
  const bool plausible = std::regex_match(body.username, kName) && body.password.size() <= 1024;
  const std::string addr = call.req.remote_addr.empty() ? "unknown" : call.req.remote_addr;
  const auto by_user = user_limit(plausible ? body.username : "-invalid-");
  const auto by_addr = addr_limit(addr);
  for (const auto& l : {by_user, by_addr}) {
    auto s = access::peek(db, l, now);
    if (s.exceeded) throw access::rate_limited(s, now, l.bucket.rfind("login:user:", 0) == 0 ? "this admin" : "this address");
  }
  std::optional<db::Result> rows;
  if (plausible) rows.emplace(db.exec("admin_auth_by_name", {body.username}));
  const bool found = rows && !rows->empty();
  const bool password_ok =
      crypto::verify_password(body.password, found ? (*rows)[0].text("password_hash") : decoy_hash()) && found;
  if (!password_ok || (*rows)[0].boolean("disabled")) {
    access::hit(db, by_user, now);
    access::hit(db, by_addr, now);
    log::info("admin login refused", {{"username", plausible ? body.username : "(malformed)"}, {"address", addr}});
    throw wrong_login();
  }
  auto row = (*rows)[0];
  auto role = contract::role_from_name(row.text("role"));
  if (!role) throw internal_error("admin '" + body.username + "' has an unknown role");
  ctx.set_actor("admin:" + body.username);
  db::Transaction tx(db);
  db.exec("admin_login_touch", {static_cast<long long>(row.int64("id"))});
  audit_self(ctx, "admin.login", row.int64("id"), {{"address", addr}});
  tx.commit();
  auto r = issue_token(ctx, row.int64("id"), body.username, *role, row.int64("token_epoch"));
  return cgi::json_response(200, contract::to_json(r));
}

cgi::Response logout(ApiCall& call) {
  const auto& c = call.session->claims;
  auto& db = call.ctx.db();
  db::Transaction tx(db);
  db.exec("admin_token_prune");
  db.exec("admin_token_revoke", {c.id, static_cast<long long>(c.admin_id), static_cast<long long>(c.expires_at)});
  audit_self(call.ctx, "admin.logout", c.admin_id, nullptr);
  tx.commit();
  return no_content();
}

cgi::Response me(ApiCall& call) {
  const Session& s = *call.session;
  nlohmann::json permissions = nlohmann::json::object();
  for (int a = 0; a <= static_cast<int>(Area::kSelf); ++a) {
    auto area = static_cast<Area>(a);
    permissions[std::string(contract::area_name(area))] = {{"read", contract::may(s.role, area, Access::kRead)},
                                                           {"write", contract::may(s.role, area, Access::kWrite)}};
  }
  return cgi::json_response(200, {{"username", s.username},
                                  {"role", contract::role_name(s.role)},
                                  {"expires_at", s.claims.expires_at},
                                  {"permissions", permissions}});
}

cgi::Response change_password(ApiCall& call) {
  auto body = parse_body<contract::PasswordChange>(call.req);
  Context& ctx = call.ctx;
  auto& db = ctx.db();
  const std::int64_t now = unix_now();
  const auto limit = user_limit(call.session->username);
  if (auto s = access::peek(db, limit, now); s.exceeded) throw access::rate_limited(s, now, "this admin");
  auto rows = db.exec("admin_auth_by_name", {call.session->username});
  if (rows.empty() || !crypto::verify_password(body.current_password, rows[0].text("password_hash"))) {
    access::hit(db, limit, now);
    throw Failure(ExitCode::kUnauthorized, "the current password is wrong", "current_password");
  }
  if (body.new_password == body.current_password) {
    throw usage_error("the new password must differ from the current one", "new_password");
  }
  // The same path as `httvps admin update --password-file`: strength rules, scrypt, audit,
  // and token_epoch + 1, which ends every token of this admin.
  try {
    update_record(ctx, resource("admin"), call.session->username, {}, body.new_password);
  } catch (const Failure& f) {
    if (f.field() == "password") throw usage_error(std::string(f.what()), "new_password");
    throw;
  }
  auto fresh = db.exec("admin_auth_by_id", {static_cast<long long>(call.session->claims.admin_id)});
  auto r = issue_token(ctx, call.session->claims.admin_id, call.session->username, call.session->role,
                       fresh[0].int64("token_epoch"));
  return cgi::json_response(200, contract::to_json(r));
}

}  // namespace

std::string admin_token_key(Context& ctx) {
  const std::string& file = ctx.config().admin_token_key_file;
  if (file.empty()) return derive_token_key(ctx.secrets_key());
  std::ifstream in(file);
  if (!in) throw config_error("cannot read admin.token_key_file '" + file + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return derive_token_key(crypto::decode_key(text));
}

Session authenticate(Context& ctx, const cgi::Request& req) {
  auto header = req.header("authorization");
  auto token = header ? bearer_token(*header) : std::nullopt;
  if (!token) {
    throw Failure(ExitCode::kUnauthorized, "log in first: no 'Authorization: Bearer <token>' header", "Authorization")
        .with_header("WWW-Authenticate", "Bearer");
  }
  Session s;
  s.claims = verify_token(*token, admin_token_key(ctx), unix_now());
  auto rows = ctx.db().exec("admin_auth_by_id", {static_cast<long long>(s.claims.admin_id)});
  auto stale = [] {
    return Failure(ExitCode::kUnauthorized, "admin token is no longer valid; log in again", "Authorization")
        .with_header("WWW-Authenticate", "Bearer");
  };
  // A token outlives nothing it describes: a disabled or renamed admin, a changed role, a
  // changed password (token_epoch) or a logout ends it.
  if (rows.empty() || rows[0].boolean("disabled") || rows[0].text("username") != s.claims.subject ||
      rows[0].int64("token_epoch") != s.claims.epoch || rows[0].text("role") != contract::role_name(s.claims.role)) {
    throw stale();
  }
  if (ctx.db().exec("admin_token_is_revoked", {s.claims.id})[0].boolean("revoked")) throw stale();
  s.username = s.claims.subject;
  s.role = s.claims.role;
  return s;
}

void add_auth_routes(std::vector<Route>& routes) {
  const std::string base(contract::kAdminApiBase);
  routes.push_back({"POST", base + "/login", false, Area::kSelf, Access::kWrite, login});
  routes.push_back({"POST", base + "/logout", true, Area::kSelf, Access::kWrite, logout});
  routes.push_back({"GET", base + "/me", true, Area::kSelf, Access::kRead, me});
  routes.push_back({"POST", base + "/password", true, Area::kSelf, Access::kWrite, change_password});
}

}  // namespace httvps::admin
