#pragma once
// The [telegram] configuration as the bot uses it, with the secrets read from their files.

#include <cstdint>
#include <string>

#include "core/config.hpp"
#include "core/telegram/bot_api.hpp"

namespace httvps::telegram {

struct Settings {
  std::string bot_token;       // may be empty: replies still work, photos and set-webhook do not
  std::string webhook_secret;  // may be empty: the webhook then refuses to serve (config error)
  std::string bot_username;
  std::string trial_plan;
  std::string templates_dir;   // resolved lazily by the bot (resolve_templates_dir)
  std::string webapp_url;
  std::int64_t webapp_max_age = 86400;
  std::int64_t chat_rate_limit = 20;
  BotApiOptions api;           // base URL, token and timeout for outbound calls
};

// Reads CONFIG's telegram.* keys; the token and the secret come from their files when
// those are set. Throws Failure(kConfig) when a file cannot be read or is empty, or when
// the webhook secret breaks Telegram's rule (1 to 256 characters of A-Z, a-z, 0-9, _ and -).
Settings load_settings(const Config& config);

}  // namespace httvps::telegram
