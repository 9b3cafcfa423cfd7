#include "core/telegram/webhook.hpp"

#include <ctime>

#include "core/access/rate_limit.hpp"
#include "core/crypto.hpp"
#include "core/log.hpp"
#include "core/telegram/bot.hpp"
#include "core/telegram/settings.hpp"
#include "core/telegram/webapp.hpp"

namespace httvps::telegram {
namespace {

constexpr std::string_view kWebhook = "/api/v1/telegram/webhook";
constexpr std::string_view kWebApp = "/api/v1/telegram/webapp";
constexpr std::int64_t kAuthFailuresPerMinute = 20;

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

void require_post(const cgi::Request& req) {
  if (req.method != "POST") {
    throw Failure(ExitCode::kMethodNotAllowed, "use POST on " + req.path).with_header("Allow", "POST");
  }
}

// Checks the secret header; a failure counts against the caller's address.
void authenticate(Context& ctx, const Settings& s, const cgi::Request& req, std::int64_t now) {
  if (s.webhook_secret.empty()) {
    throw config_error("telegram.webhook_secret is not set: the webhook refuses every update without it");
  }
  const std::string presented = req.header("x-telegram-bot-api-secret-token").value_or("");
  if (crypto::constant_time_equal(presented, s.webhook_secret)) return;
  access::RateLimit limit{"tg:auth:" + (req.remote_addr.empty() ? std::string("unknown") : req.remote_addr),
                          kAuthFailuresPerMinute, 60};
  access::RateState state = access::hit(ctx.db(), limit, now);
  if (state.hits_over_limit) throw access::rate_limited(state, now, "telegram webhook authentication from this address");
  throw Failure(ExitCode::kUnauthorized,
                presented.empty() ? "missing X-Telegram-Bot-Api-Secret-Token" : "wrong X-Telegram-Bot-Api-Secret-Token",
                "X-Telegram-Bot-Api-Secret-Token");
}

cgi::Response webhook(Context& ctx, const cgi::Request& req) {
  require_post(req);
  const std::int64_t now = unix_now();
  Settings settings = load_settings(ctx.config());
  authenticate(ctx, settings, req, now);
  Update update = parse_update(req.body);
  Reply reply = handle_update(ctx, settings, update, now);
  cgi::Response r;
  if (reply.method.is_null()) {
    log::info("telegram update ignored", {{"update_id", update.update_id}, {"type", update.type}, {"reason", reply.ignored}});
    r.body = nlohmann::json{{"ok", true}, {"ignored", reply.ignored}}.dump();
  } else {
    log::info("telegram update answered", {{"update_id", update.update_id}, {"type", update.type},
                                           {"method", reply.method.value("method", "")}});
    r.body = reply.method.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return r;
}

}  // namespace

cgi::Response serve_telegram(Context& ctx, const cgi::Request& req) {
  if (req.path == kWebhook) return webhook(ctx, req);
  if (req.path == kWebApp) {
    require_post(req);
    return cgi::json_response(200, webapp_view(ctx, load_settings(ctx.config()), req, unix_now()));
  }
  throw not_found("no endpoint at " + req.path);
}

}  // namespace httvps::telegram
