#include "core/telegram/init_data.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include <nlohmann/json.hpp>

#include "core/cgi.hpp"
#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/links.hpp"

namespace httvps::telegram {
namespace {

Failure refused(std::string message) { return Failure(ExitCode::kUnauthorized, std::move(message), "init_data"); }

std::string data_check_string(const std::map<std::string, std::string>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {  // std::map: sorted by key
    if (k == "hash") continue;
    if (!out.empty()) out += '\n';
    out += k + "=" + v;
  }
  return out;
}

std::string expected_hash(const std::map<std::string, std::string>& fields, std::string_view bot_token) {
  std::string secret = crypto::hmac_sha256("WebAppData", bot_token);
  return crypto::hex_encode(crypto::hmac_sha256(secret, data_check_string(fields)));
}


}  // namespace

WebAppUser validate_init_data(std::string_view init_data, std::string_view bot_token, std::int64_t now,
                              std::int64_t max_age_seconds) {
  if (init_data.empty()) throw refused("init_data is empty");
  if (init_data.size() > 8192) throw refused("init_data is too long");
  std::map<std::string, std::string> fields;
  std::size_t pos = 0;
  while (pos <= init_data.size()) {
    std::size_t amp = init_data.find('&', pos);
    if (amp == std::string_view::npos) amp = init_data.size();
    std::string_view pair = init_data.substr(pos, amp - pos);
    pos = amp + 1;
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos) throw refused("init_data is malformed: a field without '='");
    std::string key;
    std::string value;
    try {
      key = cgi::url_decode(pair.substr(0, eq));
      value = cgi::url_decode(pair.substr(eq + 1));
    } catch (const Failure&) {
      throw refused("init_data is malformed: a bad percent escape");
    }
    if (!fields.emplace(key, value).second) throw refused("init_data repeats the field '" + key.substr(0, 32) + "'");
  }
  auto hash = fields.find("hash");
  if (hash == fields.end()) throw refused("init_data has no hash");
  if (!crypto::constant_time_equal(expected_hash(fields, bot_token), hash->second)) {
    throw refused("init_data is not signed by this bot");
  }
  WebAppUser user;
  auto auth = fields.find("auth_date");
  if (auth == fields.end() || auth->second.empty() || auth->second.size() > 12 ||
      !std::all_of(auth->second.begin(), auth->second.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    throw refused("init_data has no valid auth_date");
  }
  user.auth_date = std::stoll(auth->second);
  if (user.auth_date > now + 60) throw refused("init_data is dated in the future");
  if (now - user.auth_date > max_age_seconds) throw refused("init_data is too old; reopen the app");
  auto u = fields.find("user");
  if (u == fields.end()) throw refused("init_data has no user");
  nlohmann::json doc = nlohmann::json::parse(u->second, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("id") || !doc["id"].is_number_integer() ||
      doc["id"].get<std::int64_t>() <= 0) {
    throw refused("init_data has no valid user");
  }
  user.id = doc["id"].get<std::int64_t>();
  if (auto lc = doc.find("language_code"); lc != doc.end() && lc->is_string()) {
    user.language_code = lc->get<std::string>().substr(0, 16);
  }
  return user;
}

std::string sign_init_data(const std::vector<std::pair<std::string, std::string>>& fields, std::string_view bot_token) {
  std::map<std::string, std::string> sorted(fields.begin(), fields.end());
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    out += links::percent_encode(k) + "=" + links::percent_encode(v);
  }
  return out + (out.empty() ? "" : "&") + "hash=" + expected_hash(sorted, bot_token);
}

}  // namespace httvps::telegram
