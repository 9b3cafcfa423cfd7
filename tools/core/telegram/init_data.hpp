#pragma once
// Telegram Mini App initData (https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app):
// a query string signed by Telegram with a key derived from the bot token:
//
//   secret_key = HMAC-SHA256(key = "WebAppData", data = bot_token)
//   hash       = hex(HMAC-SHA256(key = secret_key, data = data_check_string))
//
// where data_check_string is every received field except "hash", as "key=value" with
// values decoded, sorted by key and joined with "\n". Pure functions.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace httvps::telegram {

struct WebAppUser {
  std::int64_t id = 0;
  std::string language_code;
  std::int64_t auth_date = 0;
};

// Checks INIT_DATA against BOT_TOKEN at NOW: the hash in constant time, auth_date no older
// than MAX_AGE_SECONDS and not more than 60 s in the future, and a "user" member holding a
// JSON object with a positive integer id. Throws Failure(kUnauthorized, field "init_data")
// naming the problem (malformed, duplicate field, bad hash, stale, no user).
WebAppUser validate_init_data(std::string_view init_data, std::string_view bot_token, std::int64_t now,
                              std::int64_t max_age_seconds);

// The data_check_string and hash of FIELDS (decoded key/value pairs, any order), for tests
// and for tools that sign sample data: returns the query string with "hash" appended.
std::string sign_init_data(const std::vector<std::pair<std::string, std::string>>& fields, std::string_view bot_token);

}  // namespace httvps::telegram
