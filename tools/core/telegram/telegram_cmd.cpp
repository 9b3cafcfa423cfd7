// httvps telegram set-webhook | delete-webhook | webhook-info: tells Telegram where the
// bot's webhook is (setWebhook with the configured secret), forgets it, or shows what
// Telegram has. The token and the secret never reach the output.

#include "core/admin/command.hpp"
#include "core/log.hpp"
#include "core/telegram/bot_api.hpp"
#include "core/telegram/settings.hpp"

namespace httvps::admin {
namespace {

// The update types the bot handles; Telegram sends no others.
const nlohmann::json kAllowedUpdates = {"message", "edited_message", "callback_query", "my_chat_member"};

std::string webhook_url(const Context& ctx, const Command& cmd) {
  auto it = cmd.fields.find("url");
  std::string url;
  if (it != cmd.fields.end()) {
    url = it->second;
  } else {
    url = ctx.config().public_api_url;
    while (!url.empty() && url.back() == '/') url.pop_back();
    url += "/api/v1/telegram/webhook";
  }
  if (!url.starts_with("https://") && !url.starts_with("http://")) {
    throw usage_error("--url must be an https:// URL, not '" + url + "'", "url");
  }
  if (url.starts_with("http://")) {
    log::warn("Telegram accepts only https:// webhooks; an http:// URL works only against a stand-in Bot API");
  }
  return url;
}

}  // namespace

int run_telegram(Context& ctx, const Command& cmd) {
  telegram::Settings s = telegram::load_settings(ctx.config());
  const bool drop = cmd.fields.count("drop_pending_updates") != 0;
  if (cmd.action == "set-webhook") {
    if (s.webhook_secret.empty()) {
      throw config_error("set telegram.webhook_secret_file first: the webhook refuses updates without the secret");
    }
    const std::string url = webhook_url(ctx, cmd);
    telegram::BotApi api(s.api);
    api.call("setWebhook", {{"url", url},
                            {"secret_token", s.webhook_secret},
                            {"allowed_updates", kAllowedUpdates},
                            {"drop_pending_updates", drop}});
    print_result(ctx.output(), nlohmann::json{{"webhook", url}, {"allowed_updates", kAllowedUpdates}, {"ok", true}});
    return 0;
  }
  if (cmd.action == "delete-webhook") {
    telegram::BotApi(s.api).call("deleteWebhook", {{"drop_pending_updates", drop}});
    print_result(ctx.output(), nlohmann::json{{"webhook", nullptr}, {"ok", true}});
    return 0;
  }
  if (cmd.action == "webhook-info") {
    nlohmann::json info = telegram::BotApi(s.api).call("getWebhookInfo", nlohmann::json::object());
    if (!info.is_object()) info = nlohmann::json::object();
    print_result(ctx.output(), info);
    return 0;
  }
  throw usage_error("unknown telegram action '" + cmd.action + "'");
}

}  // namespace httvps::admin
