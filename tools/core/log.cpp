#include "core/log.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace httvps::log {
namespace {

struct State {
  std::string program = "httvps";
  std::string request_id;
  Level level = Level::kInfo;
  Format format = Format::kJson;
};

State& state() {
  static State s;
  return s;
}

std::string utc_now() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::array<char, 32> buf{};
  std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%S", &tm);
  std::array<char, 48> out{};
  std::snprintf(out.data(), out.size(), "%s.%03dZ", buf.data(), static_cast<int>(ms));
  return out.data();
}

}  // namespace

Level parse_level(std::string_view text) {
  if (text == "debug") return Level::kDebug;
  if (text == "info") return Level::kInfo;
  if (text == "warn" || text == "warning") return Level::kWarn;
  if (text == "error") return Level::kError;
  throw config_error("unknown log level '" + std::string(text) + "' (expected debug, info, warn or error)");
}

std::string_view level_name(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

void init(std::string program, Level level, Format format) {
  state().program = std::move(program);
  state().level = level;
  state().format = format;
}
void set_request_id(std::string request_id) { state().request_id = std::move(request_id); }
const std::string& request_id() { return state().request_id; }
void set_level(Level level) { state().level = level; }
void set_format(Format format) { state().format = format; }

std::string mask_secret(std::string_view secret) {
  constexpr std::size_t kShown = 8;
  if (secret.size() <= kShown + 4) return "…";
  return std::string(secret.substr(0, kShown)) + "…";
}

bool is_secret_field(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static constexpr std::array<std::string_view, 8> kMarkers = {
      "token", "password", "secret", "credential", "authorization", "cookie", "passwd", "key"};
  for (auto marker : kMarkers) {
    if (lower.find(marker) != std::string::npos) {
      // "key" alone is too broad for names like "idempotency_key" or "keys_total"; only
      // names that end in "key" or are exactly "key" count as secrets.
      if (marker == "key" && !(lower == "key" || lower.ends_with("_key") || lower.ends_with("key"))) continue;
      if (marker == "key" && (lower.ends_with("idempotency_key") || lower.ends_with("session_key"))) continue;
      return true;
    }
  }
  return false;
}

nlohmann::json redact(const nlohmann::json& fields) {
  if (fields.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      if (is_secret_field(it.key()) && it.value().is_string()) {
        out[it.key()] = mask_secret(it.value().get<std::string>());
      } else if (is_secret_field(it.key()) && !it.value().is_null() && !it.value().is_structured()) {
        out[it.key()] = "…";
      } else {
        out[it.key()] = redact(it.value());
      }
    }
    return out;
  }
  if (fields.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : fields) out.push_back(redact(v));
    return out;
  }
  return fields;
}

void write(Level level, std::string_view message, const nlohmann::json& fields) {
  const State& s = state();
  if (static_cast<int>(level) < static_cast<int>(s.level)) return;
  std::string line;
  if (s.format == Format::kJson) {
    nlohmann::json j = {{"time", utc_now()}, {"level", level_name(level)}, {"program", s.program}};
    if (!s.request_id.empty()) j["request_id"] = s.request_id;
    j["message"] = message;
    if (fields.is_object() && !fields.empty()) j["fields"] = redact(fields);
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = s.program + ": " + std::string(level_name(level)) + ": " + std::string(message);
    if (fields.is_object() && !fields.empty()) {
      line += " " + redact(fields).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  }
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

void write(Level level, std::string_view message) { write(level, message, nlohmann::json::object()); }
void debug(std::string_view m, const nlohmann::json& f) { write(Level::kDebug, m, f); }
void info(std::string_view m, const nlohmann::json& f) { write(Level::kInfo, m, f); }
void warn(std::string_view m, const nlohmann::json& f) { write(Level::kWarn, m, f); }
void error(std::string_view m, const nlohmann::json& f) { write(Level::kError, m, f); }
void debug(std::string_view m) { write(Level::kDebug, m); }
void info(std::string_view m) { write(Level::kInfo, m); }
void warn(std::string_view m) { write(Level::kWarn, m); }
void error(std::string_view m) { write(Level::kError, m); }

}  // namespace httvps::log
