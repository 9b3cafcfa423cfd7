#include "core/telegram/settings.hpp"

#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace httvps::telegram {
namespace {

std::string secret_from(const std::string& inline_value, const std::string& file, const char* key) {
  if (file.empty()) return inline_value;
  std::ifstream in(file, std::ios::binary);
  if (!in) throw config_error(std::string("cannot read ") + key + "_file '" + file + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  if (text.empty()) throw config_error(std::string(key) + "_file '" + file + "' is empty");
  return text;
}

}  // namespace

Settings load_settings(const Config& c) {
  Settings s;
  s.bot_token = secret_from(c.telegram_bot_token, c.telegram_bot_token_file, "telegram.bot_token");
  s.webhook_secret = secret_from(c.telegram_webhook_secret, c.telegram_webhook_secret_file, "telegram.webhook_secret");
  if (!s.webhook_secret.empty()) {
    bool ok = s.webhook_secret.size() <= 256;
    for (char ch : s.webhook_secret) {
      ok = ok && ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-');
    }
    if (!ok) throw config_error("telegram.webhook_secret must be 1 to 256 characters of A-Z, a-z, 0-9, _ and -");
  }
  s.bot_username = c.telegram_bot_username;
  if (!s.bot_username.empty() && s.bot_username.front() == '@') s.bot_username.erase(0, 1);
  s.trial_plan = c.telegram_trial_plan;
  s.templates_dir = c.telegram_templates_dir;
  s.webapp_url = c.telegram_webapp_url;
  s.webapp_max_age = c.telegram_webapp_max_age;
  s.chat_rate_limit = c.telegram_chat_rate_limit;
  s.api.base_url = c.telegram_api_url;
  s.api.token = s.bot_token;
  s.api.timeout_ms = c.telegram_api_timeout_ms;
  return s;
}

}  // namespace httvps::telegram
