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

  // [usage]
  std::int64_t usage_retention_days = 7;           // raw usage kept (and accepted) this long
  std::int64_t usage_session_retention_days = 30;  // ended sessions kept this long
  std::int64_t usage_aggregate_timeout_ms = 1800000;  // aggregate-usage's statement timeout; 0: none

  // [admin]
  std::int64_t admin_token_ttl = 900;     // seconds an admin login token lives
  std::string admin_token_key_file;       // a dedicated token-signing key; empty: derived from secrets.key

  // [public]
  std::string public_api_url = "http://127.0.0.1:8080";  // base URL of the CGI endpoints
  std::string public_gateway_url = "wss://127.0.0.1:8443";  // what clients dial

  // [gateway] (httvps-gateway only; docs/gateway.md)
  std::string gateway_name;                           // session prefix and logs; empty: the host name
  std::string gateway_listen = "127.0.0.1:8443";      // HOST:PORT of the tunnel listener
  std::string gateway_tls_cert;                       // PEM chain; empty with tls_key: plain WebSocket
  std::string gateway_tls_key;                        // PEM private key
  std::string gateway_path = "/tunnel";               // the WebSocket path clients request
  std::int64_t gateway_threads = 0;                   // event loops; 0: one per core
  std::string gateway_admin_listen = "127.0.0.1:9810";  // /metrics and /healthz; loopback only
  std::string gateway_control_url = "http://127.0.0.1:8080";  // base URL of validate-device
  std::string gateway_credential;                     // the gateway's htg_ credential
  std::string gateway_credential_file;                // or a file holding it
  std::int64_t gateway_validate_timeout_ms = 3000;
  std::string gateway_unreachable_policy = "cached";  // cached | refuse
  std::int64_t gateway_stale_seconds = 300;           // how long "cached" may reuse an expired answer
  std::string gateway_upstream = "nodes";             // nodes | direct | echo | discard
  bool gateway_allow_private_targets = false;         // direct: loopback and private addresses
  std::int64_t gateway_connect_timeout_ms = 5000;     // per upstream connect attempt
  std::int64_t gateway_max_streams = 1024;            // per connection
  std::int64_t gateway_window = 262144;               // initial per-stream window, bytes
  std::int64_t gateway_max_connections = 10000;       // per process
  std::int64_t gateway_drain_seconds = 30;            // SIGTERM: time for open streams to finish
  std::string gateway_spool_dir = "/var/lib/httvps/gateway-spool";  // usage batches not yet acknowledged
  std::int64_t gateway_usage_interval_ms = 2000;      // how often usage is spooled and sent
  std::int64_t gateway_heartbeat_seconds = 30;        // how often live sessions are reported
  std::int64_t gateway_heartbeat_page = 2000;         // sessions per heartbeat body (about 200 bytes each)
  std::int64_t gateway_revalidate_seconds = 60;       // most time between checks of an open connection
  // [telegram] (the telegram-bot CGI and `httvps telegram`; docs/telegram.md)
  std::string telegram_bot_token;          // from BotFather
  std::string telegram_bot_token_file;     // or a file holding it
  std::string telegram_bot_username;       // without '@': "/key@OtherBot" is ignored
  std::string telegram_webhook_secret;     // X-Telegram-Bot-Api-Secret-Token
  std::string telegram_webhook_secret_file;
  std::string telegram_api_url = "https://api.telegram.org";
  std::int64_t telegram_api_timeout_ms = 5000;
  std::string telegram_trial_plan;         // plan given at /start; empty: no self sign-up
  std::string telegram_templates_dir;      // templates/messages; empty: found next to the binary
  std::string telegram_webapp_url;         // the Mini App page; empty: no "Open app" button
  std::int64_t telegram_webapp_max_age = 86400;  // seconds an initData stays valid
  std::int64_t telegram_chat_rate_limit = 20;    // updates answered per chat per minute
  // [nodes] (rotate-nodes; docs/nodes.md)
  std::string nodes_canary;                       // HOST:PORT fetched through each node; empty: TCP connect only
  std::int64_t nodes_probe_timeout_ms = 5000;     // per node, connect and answer together
  std::int64_t nodes_down_after = 3;              // consecutive failed probes: degraded -> down
  std::int64_t nodes_up_after = 2;                // consecutive good probes: degraded/down -> up
  std::int64_t nodes_secret_rotation_days = 0;    // gateway secret age that triggers a rotation; 0: off
  std::int64_t nodes_secret_overlap_seconds = 3600;  // how long a rotated-out secret keeps working
  std::int64_t nodes_port_span = 1000;            // ss-manager ports above nodes.port for keys and secrets
  std::int64_t nodes_manager_timeout_ms = 2000;   // per ss-manager command / Outline API call (x5)
  std::string nodes_vless_config_dir;             // where vless nodes' v2ray configs are written; empty: not
  std::string nodes_vless_listen = "0.0.0.0";       // the address rendered vless configs listen on
  std::string nodes_vless_template;               // the v2ray template; empty: next to the binary, else the source tree
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
