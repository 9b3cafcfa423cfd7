#include "core/telegram/webapp.hpp"

#include <algorithm>

#include "core/access/rate_limit.hpp"
#include "core/keys/subscription.hpp"
#include "core/telegram/init_data.hpp"
#include "core/units.hpp"

namespace httvps::telegram {
namespace {

constexpr std::int64_t kFailuresPerMinute = 20;

nlohmann::json timestamp(const std::optional<std::int64_t>& unix) {
  return unix ? nlohmann::json(units::format_timestamp(*unix)) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json webapp_view(Context& ctx, const Settings& s, const cgi::Request& req, std::int64_t now) {
  nlohmann::json body = req.json_body();
  for (const auto& [key, value] : body.items()) {
    if (key != "init_data") throw usage_error("unknown member '" + key.substr(0, 64) + "'", key.substr(0, 64));
  }
  if (!body.contains("init_data") || !body["init_data"].is_string()) {
    throw usage_error("init_data must be a string", "init_data");
  }
  if (s.bot_token.empty()) throw config_error("no telegram.bot_token: Mini App data cannot be checked");
  WebAppUser user;
  try {
    user = validate_init_data(body["init_data"].get<std::string>(), s.bot_token, now, s.webapp_max_age);
  } catch (const Failure& f) {
    access::RateLimit limit{"tg:webapp:" + (req.remote_addr.empty() ? std::string("unknown") : req.remote_addr),
                            kFailuresPerMinute, 60};
    access::RateState state = access::hit(ctx.db(), limit, now);
    if (state.hits_over_limit) throw access::rate_limited(state, now, "Mini App data from this address");
    throw;
  }
  auto& db = ctx.db();
  auto rows = db.exec("telegram_user", {static_cast<long long>(user.id)});
  if (rows.empty()) throw not_found("no account is linked to this Telegram user: send /start to the bot");
  auto u = rows[0];
  const std::int64_t used = u.opt_int64("used_bytes").value_or(0);
  const std::optional<std::int64_t> limit = u.opt_int64("data_limit_bytes");
  const std::string username = u.text("username");
  nlohmann::json account = {
      {"username", username},
      {"status", u.text("status")},
      {"plan", u.opt_text("plan") ? nlohmann::json(*u.opt_text("plan")) : nlohmann::json(nullptr)},
      {"used_bytes", used},
      {"data_limit_bytes", limit ? nlohmann::json(*limit) : nlohmann::json(nullptr)},
      {"remaining_bytes", limit ? nlohmann::json(std::max<std::int64_t>(0, *limit - used)) : nlohmann::json(nullptr)},
      {"expires_at", timestamp(u.opt_int64("expires_at"))},
      {"started", u.is_null("started") ? true : u.boolean("started")}};
  nlohmann::json devices = nlohmann::json::array();
  for (auto d : db.exec("telegram_devices", {u.int64("id"), u.opt_int64("period_started_at").value_or(0)})) {
    std::optional<keys::NodeEndpoint> node;
    if (!d.is_null("node_kind")) {
      node = keys::NodeEndpoint{d.text("node_kind"), d.text("node_host"), static_cast<int>(d.int64("node_port"))};
    }
    keys::DeviceLinks found = keys::device_links(ctx, d.int64("id"), username + "/" + d.text("name"), node);
    devices.push_back({{"id", d.int64("id")},
                       {"name", d.text("name")},
                       {"region", d.opt_text("region") ? nlohmann::json(*d.opt_text("region")) : nlohmann::json(nullptr)},
                       {"last_seen_at", timestamp(d.opt_int64("last_seen_at"))},
                       {"used_bytes", d.int64("used_bytes")},
                       {"links", found.links}});
  }
  return {{"user", account}, {"devices", devices}};
}

}  // namespace httvps::telegram
