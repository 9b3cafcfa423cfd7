#pragma once
// Configuration, in one precedence order: defaults < TOML file < HTTVPS_* environment
// variables < command-line flags. Every key is declared once in config_keys(); the file
// loader, the environment reader, the flag overrides and docs/config.md all follow that
// table. An unknown key or a value of the wrong type is an error that names file:line:column
// (or the variable or flag).

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/environment.hpp"

namespace httvps {

struct Config {
  std::string source;  // the file the values came from; empty when no file was read

  // [database]
  std::string database_url;               // libpq conninfo or URI; empty: libpq's PG* defaults
  std::int64_t database_connect_timeout = 5;      // seconds
  std::int64_t database_statement_timeout_ms = 30000;

  // [log]
  std::string log_level = "info";         // debug | info | warn | error
  std::string log_format = "auto";        // auto (text on a TTY, else json) | json | text

  // [secrets]
  std::string secrets_key;                // base64 of 32 random bytes: encrypts secrets at rest
  std::string secrets_key_file;           // or a file holding that base64 text

  // [cgi]
  std::int64_t cgi_max_body_bytes = 1048576;
  std::string cgi_cors_origin;            // the admin panel's origin; empty: no CORS

  // [public]
  std::string public_api_url = "http://127.0.0.1:8080";  // base URL of the CGI endpoints
  std::string public_gateway_url = "wss://127.0.0.1:8443";  // what clients dial
};

// One configurable key.
struct ConfigKey {
  const char* path;  // "database.url"
  std::variant<std::string Config::*, std::int64_t Config::*, bool Config::*> member;
  const char* help;
  bool secret = false;  // masked in --check-config output
};

// Every key, in documentation order.
const std::vector<ConfigKey>& config_keys();

// "database.url" -> "HTTVPS_DATABASE_URL".
std::string env_name_for(const std::string& path);

// Values given on the command line, applied last, as (key path, text) pairs.
using ConfigOverrides = std::vector<std::pair<std::string, std::string>>;

// Where the file comes from: --config, else $HTTVPS_CONFIG, else ./httvps.toml, else
// /etc/httvps/httvps.toml; nullopt when none exists and none was named.
std::optional<std::string> locate_config_file(const std::optional<std::string>& flag,
                                              const Environment& env);

// Parses TOML text into CONFIG (on top of what it holds). NAME is used in error messages.
// Throws Failure(kConfig) naming name:line:column for syntax errors, unknown keys and
// values of the wrong type or range.
void apply_toml(Config& config, const std::string& text, const std::string& name);

// Applies HTTVPS_* variables that name known keys. Throws Failure(kConfig) naming the
// variable on a bad value. Variables that name no key are ignored (HTTVPS_CONFIG, ...).
void apply_environment(Config& config, const Environment& env);

// Applies flag overrides. Throws Failure(kUsage) naming the key on a bad value.
void apply_overrides(Config& config, const ConfigOverrides& overrides);

// Checks cross-field rules (a known log level, a usable body limit, ...). Throws Failure(kConfig).
void validate(const Config& config);

// The whole precedence chain: defaults, file, environment, flags, then validate().
Config load_config(const std::optional<std::string>& config_flag, const Environment& env,
                   const ConfigOverrides& overrides);

// Every key with its effective value (secrets masked), for --check-config.
std::vector<std::pair<std::string, std::string>> describe(const Config& config);

}  // namespace httvps
