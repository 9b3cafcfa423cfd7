#include "core/keys/subscription.hpp"

#include <ctime>

#include "core/access/rate_limit.hpp"
#include "core/crypto.hpp"
#include "core/keys/tokens.hpp"
#include "core/links.hpp"
#include "core/units.hpp"

namespace httvps::keys {
namespace {

constexpr std::int64_t kLookupFailuresPerMinute = 30;
constexpr std::string_view kRoute = "/api/v1/sub/";

Failure unknown() { return not_found("no such subscription"); }

struct Found {
  long long device_id;
};

// The device behind TOKEN, or a 404 that does not say whether the token was malformed,
// unknown or revoked.
Found find(Context& ctx, const std::string& token, const cgi::Request& req, std::int64_t now) {
  auto& db = ctx.db();
  auto fail = [&]() -> Failure {
    access::RateLimit limit{"sub:addr:" + (req.remote_addr.empty() ? std::string("unknown") : req.remote_addr),
                            kLookupFailuresPerMinute, 60};
    access::RateState s = access::hit(db, limit, now);
    if (s.hits_over_limit) return access::rate_limited(s, now, "subscription lookups from this address");
    return unknown();
  };
  std::string prefix;
  try {
    prefix = lookup_prefix(token, kSubscriptionToken, "token");
  } catch (const Failure&) {
    throw fail();
  }
  for (auto row : db.exec("credentials_by_prefix", {"subscription_token", prefix})) {
    if (token_matches(token, row.text("secret_hash"))) {
      if (row.boolean("revoked")) throw fail();
      return {row.int64("device_id")};
    }
  }
  throw fail();
}

}  // namespace

DeviceLinks device_links(Context& ctx, long long device_id, const std::string& label,
                         const std::optional<NodeEndpoint>& node) {
  DeviceLinks out;
  if (!node) return out;
  for (auto cred : ctx.db().exec("credentials_live_of_device", {device_id})) {
    const std::string kind = cred.text("kind");
    if (kind == "shadowsocks" && node->kind != "vless") {
      std::string password = crypto::open_stored(ctx.secrets_key(), cred.text("secret_sealed"),
                                                 sealing_context(device_id, "shadowsocks"),
                                                 "Shadowsocks password of device " + std::to_string(device_id));
      out.ss = links::SsLink{cred.text("method"), password, {node->host, node->port}, label};
      out.links.push_back(links::build_ss(*out.ss));
    }
    if (kind == "vless" && node->kind == "vless") {
      links::VlessLink link;
      link.uuid = cred.text("vless_uuid");
      link.server = {node->host, node->port};
      link.tag = label;
      out.links.push_back(links::build_vless(link));
    }
  }
  return out;
}

cgi::Response serve_subscription(Context& ctx, const cgi::Request& req) {
  if (!req.path.starts_with(kRoute)) throw not_found("no endpoint at " + req.path);
  if (req.method != "GET" && req.method != "HEAD") {
    throw Failure(ExitCode::kMethodNotAllowed, "use GET on subscription URLs").with_header("Allow", "GET, HEAD");
  }
  const std::string format = req.query_param("format").value_or("links");
  if (format != "links" && format != "json" && format != "outline") {
    throw usage_error("format must be links, json or outline", "format");
  }
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  Found found = find(ctx, req.path.substr(kRoute.size()), req, now);

  auto& db = ctx.db();
  auto rows = db.exec("subscription_view", {found.device_id});
  if (rows.empty()) throw unknown();
  auto v = rows[0];
  if (v.text("device_status") != "active") throw unknown();
  const std::string label = v.text("username") + "/" + v.text("device_name");

  std::optional<NodeEndpoint> node;
  if (!v.is_null("node_kind")) node = NodeEndpoint{v.text("node_kind"), v.text("node_host"), static_cast<int>(v.int64("node_port"))};
  DeviceLinks found_links = device_links(ctx, found.device_id, label, node);
  const std::optional<links::SsLink>& ss = found_links.ss;
  const std::vector<std::string>& link_list = found_links.links;

  const std::int64_t upload = v.int64("upload_bytes");
  const std::int64_t download = v.int64("download_bytes");
  const std::int64_t total = v.opt_int64("data_limit_bytes").value_or(0);  // 0: unlimited, as clients read it
  const std::int64_t expire = v.opt_int64("expires_at").value_or(0);

  if (format == "outline") {
    if (!ss) throw not_found("this device has no Shadowsocks access key");
    cgi::Response r;
    r.body = links::outline_json(*ss);
    return r;
  }
  if (format == "json") {
    nlohmann::json body = {{"user", v.text("username")},
                           {"device", v.text("device_name")},
                           {"status", v.text("user_status")},
                           {"links", link_list},
                           {"usage", {{"upload", upload}, {"download", download}, {"total", total}, {"expire", expire}}}};
    return cgi::json_response(200, body);
  }
  std::string joined;
  for (const auto& l : link_list) joined += l + "\n";
  cgi::Response r;
  r.content_type = "text/plain; charset=utf-8";
  r.body = crypto::base64_encode(joined);
  r.headers.emplace_back("subscription-userinfo", "upload=" + std::to_string(upload) + "; download=" +
                                                      std::to_string(download) + "; total=" + std::to_string(total) +
                                                      "; expire=" + std::to_string(expire));
  r.headers.emplace_back("profile-title", "base64:" + crypto::base64_encode("httvps " + label));
  r.headers.emplace_back("profile-update-interval", "12");
  return r;
}

}  // namespace httvps::keys
