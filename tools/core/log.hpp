#pragma once
// Logging: one JSON object per line on stderr with time, level, program, request id,
// message and fields. Values of fields whose names say they are secret (token, password,
// secret, key, credential, authorization) are masked to a short prefix before they are
// written, so a careless call site cannot leak them.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace httvps::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class Format { kJson, kText };

// Parses "debug" | "info" | "warn" | "error"; throws Failure(kConfig) otherwise.
Level parse_level(std::string_view text);
std::string_view level_name(Level level);

// Sets up the process-wide logger. Called by the start-up path; safe to call again.
void init(std::string program, Level level, Format format);
void set_request_id(std::string request_id);
const std::string& request_id();
void set_level(Level level);
void set_format(Format format);

// Writes one line when LEVEL is at or above the configured level.
void write(Level level, std::string_view message, const nlohmann::json& fields);
void write(Level level, std::string_view message);

void debug(std::string_view message, const nlohmann::json& fields);
void info(std::string_view message, const nlohmann::json& fields);
void warn(std::string_view message, const nlohmann::json& fields);
void error(std::string_view message, const nlohmann::json& fields);
void debug(std::string_view message);
void info(std::string_view message);
void warn(std::string_view message);
void error(std::string_view message);

// "htv_3fa9c1…": the first 8 characters of a secret and an ellipsis; "…" for short ones.
std::string mask_secret(std::string_view secret);

// True when a field with this name holds a secret and must be masked.
bool is_secret_field(std::string_view name);

// Masks every secret-named field in FIELDS, recursively. Exposed for tests.
nlohmann::json redact(const nlohmann::json& fields);

}  // namespace httvps::log
