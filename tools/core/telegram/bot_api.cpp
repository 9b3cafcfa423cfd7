#include "core/telegram/bot_api.hpp"

#include <httplib.h>

#include "core/log.hpp"

namespace httvps::telegram {
namespace {

void set_timeouts(httplib::Client& client, std::int64_t ms) {
  const time_t sec = static_cast<time_t>(ms / 1000);
  const time_t usec = static_cast<time_t>((ms % 1000) * 1000);
  client.set_connection_timeout(sec, usec);
  client.set_read_timeout(sec, usec);
  client.set_write_timeout(sec, usec);
}

}  // namespace

Failure api_failure(std::string_view method, int http_status, const nlohmann::json& answer) {
  std::string description = "no description";
  if (answer.is_object() && answer.contains("description") && answer["description"].is_string()) {
    description = answer["description"].get<std::string>().substr(0, 300);
  }
  int code = http_status;
  if (answer.is_object() && answer.contains("error_code") && answer["error_code"].is_number_integer()) {
    code = answer["error_code"].get<int>();
  }
  std::string message = "Bot API " + std::string(method) + " failed (" + std::to_string(code) + "): " + description;
  ExitCode exit = ExitCode::kTempFail;
  if (code == 401 || code == 404) {
    exit = ExitCode::kUnauthorized;
    message += "; check telegram.bot_token";
  } else if (code == 400) {
    exit = ExitCode::kUsage;
  } else if (code == 403) {
    exit = ExitCode::kForbidden;
  } else if (code == 429) {
    exit = ExitCode::kRateLimited;
  }
  Failure f(exit, message);
  if (exit == ExitCode::kRateLimited) {
    int retry = 1;
    if (answer.is_object() && answer.contains("parameters") && answer["parameters"].is_object()) {
      const auto& p = answer["parameters"];
      if (p.contains("retry_after") && p["retry_after"].is_number_integer()) retry = std::max(1, p["retry_after"].get<int>());
    }
    f.with_retry_after(retry);
  }
  return f;
}

BotApi::BotApi(BotApiOptions options) : options_(std::move(options)) {
  if (options_.token.empty()) throw config_error("no Telegram bot token: set telegram.bot_token_file");
  const std::string& url = options_.base_url;
  std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos || (url.compare(0, scheme_end, "http") != 0 && url.compare(0, scheme_end, "https") != 0)) {
    throw config_error("'telegram.api_url' must be an http:// or https:// URL, not '" + url + "'");
  }
  std::size_t path_start = url.find('/', scheme_end + 3);
  origin_ = url.substr(0, path_start);
  prefix_ = path_start == std::string::npos ? "" : url.substr(path_start);
  while (!prefix_.empty() && prefix_.back() == '/') prefix_.pop_back();
}

nlohmann::json BotApi::finish(std::string_view method, int status, const std::string& body) {
  nlohmann::json answer = nlohmann::json::parse(body, nullptr, false);
  if (answer.is_discarded() || !answer.is_object()) {
    throw Failure(ExitCode::kTempFail, "Bot API " + std::string(method) + " answered " + std::to_string(status) +
                                           " without a JSON object");
  }
  if (status != 200 || !answer.value("ok", false)) throw api_failure(method, status, answer);
  return answer.contains("result") ? answer["result"] : nlohmann::json(nullptr);
}

nlohmann::json BotApi::call(std::string_view method, const nlohmann::json& params) {
  httplib::Client client(origin_);
  set_timeouts(client, options_.timeout_ms);
  const std::string path = prefix_ + "/bot" + options_.token + "/" + std::string(method);
  auto res = client.Post(path, params.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
  if (!res) {
    throw Failure(ExitCode::kTempFail, "cannot reach the Bot API at " + origin_ + " (" + httplib::to_string(res.error()) +
                                           ") for " + std::string(method));
  }
  return finish(method, res->status, res->body);
}

nlohmann::json BotApi::send_photo(std::int64_t chat_id, const std::string& png, const std::string& caption) {
  httplib::Client client(origin_);
  set_timeouts(client, options_.timeout_ms);
  const std::string path = prefix_ + "/bot" + options_.token + "/sendPhoto";
  httplib::MultipartFormDataItems items = {
      {"chat_id", std::to_string(chat_id), "", ""},
      {"caption", caption, "", ""},
      {"photo", png, "qr.png", "image/png"},
  };
  auto res = client.Post(path, items);
  if (!res) {
    throw Failure(ExitCode::kTempFail,
                  "cannot reach the Bot API at " + origin_ + " (" + httplib::to_string(res.error()) + ") for sendPhoto");
  }
  return finish("sendPhoto", res->status, res->body);
}

}  // namespace httvps::telegram
