#pragma once
// Outbound calls to the Telegram Bot API (https://core.telegram.org/bots/api), through
// cpp-httplib with connect, read and write timeouts. The base URL is configurable
// (telegram.api_url) so that tests point it at a local stand-in server. The token is
// part of every request path and appears in no message, log line or exception.

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace httvps::telegram {

struct BotApiOptions {
  std::string base_url = "https://api.telegram.org";  // scheme://host[:port][/path]
  std::string token;                                  // the bot token from BotFather
  std::int64_t timeout_ms = 5000;                     // each of connect, read and write
};

// The Failure for a Bot API error answer: 401 and 404 (a wrong token) → kUnauthorized,
// 400 → kUsage, 403 (blocked by the user) → kForbidden, 429 → kRateLimited (with
// Retry-After from parameters.retry_after when given), anything else → kTempFail. The
// message names METHOD and Telegram's description, never the token. Pure.
Failure api_failure(std::string_view method, int http_status, const nlohmann::json& answer);

class BotApi {
 public:
  // Throws Failure(kConfig) when the token is empty or the base URL is not http(s).
  explicit BotApi(BotApiOptions options);

  // Calls METHOD with PARAMS as a JSON body and returns the answer's "result". Throws
  // Failure(kTempFail) when the API cannot be reached in time, api_failure() when it
  // answers with an error.
  nlohmann::json call(std::string_view method, const nlohmann::json& params);

  // sendPhoto with PNG as a multipart upload ("qr.png") and a plain-text CAPTION.
  nlohmann::json send_photo(std::int64_t chat_id, const std::string& png, const std::string& caption);

 private:
  nlohmann::json finish(std::string_view method, int status, const std::string& body);
  BotApiOptions options_;
  std::string origin_;  // scheme://host:port
  std::string prefix_;  // path before "/bot<token>/", without a trailing slash
};

}  // namespace httvps::telegram
