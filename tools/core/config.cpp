#include "core/config.hpp"

#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <toml++/toml.h>

#include "core/error.hpp"
#include "core/hostport.hpp"
#include "core/links.hpp"
#include "core/log.hpp"

namespace httvps {
namespace {

template <typename... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <typename... F>
Overloaded(F...) -> Overloaded<F...>;

const ConfigKey* find_key(const std::string& path) {
  for (const auto& key : config_keys()) {
    if (path == key.path) return &key;
  }
  return nullptr;
}

std::string where(const std::string& name, const toml::source_region& src) {
  return name + ":" + std::to_string(src.begin.line) + ":" + std::to_string(src.begin.column);
}

std::optional<std::int64_t> parse_int(const std::string& text) {
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

std::optional<bool> parse_bool(const std::string& text) {
  if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "0" || text == "no" || text == "off") return false;
  return std::nullopt;
}

// Sets KEY from text; returns an error description or an empty string.
std::string set_from_text(Config& config, const ConfigKey& key, const std::string& text) {
  return std::visit(
      Overloaded{
          [&](std::string Config::*m) -> std::string {
            config.*m = text;
            return {};
          },
          [&](std::int64_t Config::*m) -> std::string {
            auto v = parse_int(text);
            if (!v) return "must be an integer";
            config.*m = *v;
            return {};
          },
          [&](bool Config::*m) -> std::string {
            auto v = parse_bool(text);
            if (!v) return "must be true or false";
            config.*m = *v;
            return {};
          }},
      key.member);
}

void walk(Config& config, const toml::table& table, const std::string& prefix, const std::string& name) {
  for (const auto& entry : table) {
    const auto& k = entry.first;  // named, not structured bindings: clang 14 cannot capture those
    const toml::node& node = entry.second;
    std::string path = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (const auto* sub = node.as_table()) {
      bool known_section = false;
      for (const auto& key : config_keys()) {
        if (std::string(key.path).rfind(path + ".", 0) == 0) known_section = true;
      }
      if (!known_section) throw config_error(where(name, k.source()) + ": unknown section '" + path + "'");
      walk(config, *sub, path, name);
      continue;
    }
    const ConfigKey* key = find_key(path);
    if (key == nullptr) throw config_error(where(name, k.source()) + ": unknown key '" + path + "'");
    std::string problem = std::visit(
        Overloaded{
            [&](std::string Config::*m) -> std::string {
              if (auto v = node.value<std::string>(); v && node.is_string()) {
                config.*m = *v;
                return {};
              }
              return "must be a string";
            },
            [&](std::int64_t Config::*m) -> std::string {
              if (node.is_integer()) {
                config.*m = *node.value<std::int64_t>();
                return {};
              }
              return "must be an integer";
            },
            [&](bool Config::*m) -> std::string {
              if (node.is_boolean()) {
                config.*m = *node.value<bool>();
                return {};
              }
              return "must be true or false";
            }},
        key->member);
    if (!problem.empty()) throw config_error(where(name, node.source()) + ": '" + path + "' " + problem);
  }
}

void check_range(std::int64_t value, std::int64_t lo, std::int64_t hi, const char* key) {
  if (value < lo || value > hi) {
    throw config_error(std::string("'") + key + "' must be between " + std::to_string(lo) + " and " +
                       std::to_string(hi) + ", not " + std::to_string(value));
  }
}

// The [gateway] keys, checked for every binary so that --check-config anywhere catches them.
void validate_gateway(const Config& c) {
  if (!parse_host_port(c.gateway_listen)) {
    throw config_error("'gateway.listen' must be HOST:PORT, not '" + c.gateway_listen + "'");
  }
  if (!c.gateway_admin_listen.empty()) {
    auto admin = parse_host_port(c.gateway_admin_listen);
    if (!admin) throw config_error("'gateway.admin_listen' must be HOST:PORT, not '" + c.gateway_admin_listen + "'");
    if (admin->host != "127.0.0.1" && admin->host != "::1" && admin->host != "localhost") {
      throw config_error("'gateway.admin_listen' must be a loopback address (metrics are not for the internet)");
    }
  }
  if (c.gateway_tls_cert.empty() != c.gateway_tls_key.empty()) {
    throw config_error("set both 'gateway.tls_cert' and 'gateway.tls_key', or neither (plain WebSocket)");
  }
  if (!c.gateway_path.starts_with('/') || c.gateway_path.size() > 256) {
    throw config_error("'gateway.path' must be an absolute path of at most 256 characters");
  }
  for (char ch : c.gateway_path) {
    if (static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7F || ch == '?' || ch == '#') {
      throw config_error("'gateway.path' must not hold spaces, control characters, '?' or '#'");
    }
  }
  if (!c.gateway_control_url.starts_with("http://") && !c.gateway_control_url.starts_with("https://")) {
    throw config_error("'gateway.control_url' must be an http:// or https:// URL, not '" + c.gateway_control_url + "'");
  }
  if (!c.gateway_credential.empty() && !c.gateway_credential_file.empty()) {
    throw config_error("set 'gateway.credential' or 'gateway.credential_file', not both");
  }
  if (c.gateway_unreachable_policy != "cached" && c.gateway_unreachable_policy != "refuse") {
    throw config_error("'gateway.unreachable_policy' must be cached or refuse, not '" + c.gateway_unreachable_policy + "'");
  }
  const std::string& up = c.gateway_upstream;
  if (up != "nodes" && up != "direct" && up != "echo" && up != "discard") {
    throw config_error("'gateway.upstream' must be nodes, direct, echo or discard, not '" + up + "'");
  }
  check_range(c.gateway_threads, 0, 256, "gateway.threads");
  check_range(c.gateway_validate_timeout_ms, 100, 60000, "gateway.validate_timeout_ms");
  check_range(c.gateway_stale_seconds, 0, 86400, "gateway.stale_seconds");
  check_range(c.gateway_connect_timeout_ms, 100, 60000, "gateway.connect_timeout_ms");
  check_range(c.gateway_max_streams, 1, 65536, "gateway.max_streams");
  check_range(c.gateway_window, 16384, 16777216, "gateway.window");
  check_range(c.gateway_max_connections, 1, 1000000, "gateway.max_connections");
  check_range(c.gateway_drain_seconds, 0, 3600, "gateway.drain_seconds");
  if (c.gateway_spool_dir.empty()) throw config_error("'gateway.spool_dir' must name a directory");
  check_range(c.gateway_usage_interval_ms, 100, 60000, "gateway.usage_interval_ms");
  check_range(c.gateway_heartbeat_seconds, 1, 3600, "gateway.heartbeat_seconds");
  check_range(c.gateway_heartbeat_page, 1, 100000, "gateway.heartbeat_page");
  check_range(c.gateway_revalidate_seconds, 1, 3600, "gateway.revalidate_seconds");
}

// The [telegram] keys; only the bot reads them, but a bad value fails --check-config anywhere.
// The [nodes] keys (rotate-nodes).
void validate_nodes(const Config& c) {
  if (!c.nodes_canary.empty() && !parse_host_port(c.nodes_canary)) {
    throw config_error("'nodes.canary' must be HOST:PORT, not '" + c.nodes_canary + "'");
  }
  check_range(c.nodes_probe_timeout_ms, 100, 60000, "nodes.probe_timeout_ms");
  check_range(c.nodes_down_after, 1, 100, "nodes.down_after");
  check_range(c.nodes_up_after, 1, 100, "nodes.up_after");
  check_range(c.nodes_secret_rotation_days, 0, 3650, "nodes.secret_rotation_days");
  check_range(c.nodes_secret_overlap_seconds, 60, 2592000, "nodes.secret_overlap_seconds");
  check_range(c.nodes_port_span, 2, 60000, "nodes.port_span");
  check_range(c.nodes_manager_timeout_ms, 100, 60000, "nodes.manager_timeout_ms");
}

void validate_telegram(const Config& c) {
  if (!c.telegram_bot_token.empty() && !c.telegram_bot_token_file.empty()) {
    throw config_error("set 'telegram.bot_token' or 'telegram.bot_token_file', not both");
  }
  if (!c.telegram_webhook_secret.empty() && !c.telegram_webhook_secret_file.empty()) {
    throw config_error("set 'telegram.webhook_secret' or 'telegram.webhook_secret_file', not both");
  }
  if (!c.telegram_api_url.starts_with("http://") && !c.telegram_api_url.starts_with("https://")) {
    throw config_error("'telegram.api_url' must be an http:// or https:// URL, not '" + c.telegram_api_url + "'");
  }
  if (!c.telegram_webapp_url.empty() && !c.telegram_webapp_url.starts_with("https://")) {
    throw config_error("'telegram.webapp_url' must be an https:// URL (Telegram opens no other)");
  }
  check_range(c.telegram_api_timeout_ms, 100, 60000, "telegram.api_timeout_ms");
  check_range(c.telegram_webapp_max_age, 60, 604800, "telegram.webapp_max_age");
  check_range(c.telegram_chat_rate_limit, 1, 10000, "telegram.chat_rate_limit");
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw config_error("cannot read config file '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

const std::vector<ConfigKey>& config_keys() {
  static const std::vector<ConfigKey> keys = {
      {"database.url", &Config::database_url,
       "libpq connection string or URI; empty uses libpq's PG* variables", true},
      {"database.connect_timeout", &Config::database_connect_timeout, "seconds to wait for a connection"},
      {"database.statement_timeout_ms", &Config::database_statement_timeout_ms,
       "statement_timeout set on every connection, in milliseconds (0: none)"},
      {"log.level", &Config::log_level, "debug, info, warn or error"},
      {"log.format", &Config::log_format, "auto (text on a terminal, else json), json (one object per line) or text"},
      {"secrets.key", &Config::secrets_key, "base64 of 32 random bytes that encrypt secrets at rest", true},
      {"secrets.key_file", &Config::secrets_key_file, "file holding secrets.key (preferred over inline)"},
      {"cgi.max_body_bytes", &Config::cgi_max_body_bytes, "largest accepted request body, in bytes"},
      {"cgi.cors_origin", &Config::cgi_cors_origin, "the admin panel's origin allowed by CORS; empty: none"},
      {"usage.retention_days", &Config::usage_retention_days,
       "days raw usage batches are kept after aggregation; older records are refused (1-3650)"},
      {"usage.session_retention_days", &Config::usage_session_retention_days,
       "days ended sessions are kept (1-3650)"},
      {"usage.aggregate_timeout_ms", &Config::usage_aggregate_timeout_ms,
       "statement timeout of aggregate-usage's transactions (instead of database.statement_timeout_ms); 0: none"},
      {"admin.token_ttl", &Config::admin_token_ttl, "seconds an admin API login token stays valid (60-86400)"},
      {"admin.token_key_file", &Config::admin_token_key_file,
       "file holding a base64 32-byte key that signs admin tokens; empty: derived from secrets.key"},
      {"public.api_url", &Config::public_api_url, "base URL at which clients reach the CGI endpoints"},
      {"public.gateway_url", &Config::public_gateway_url, "wss:// URL at which clients reach the gateway"},
      {"gateway.name", &Config::gateway_name, "the gateway's name in session ids and logs; empty: the host name"},
      {"gateway.listen", &Config::gateway_listen, "HOST:PORT the tunnel listens on"},
      {"gateway.tls_cert", &Config::gateway_tls_cert, "PEM certificate chain; empty (with tls_key): plain WebSocket behind a proxy"},
      {"gateway.tls_key", &Config::gateway_tls_key, "PEM private key of tls_cert; both are re-read on SIGHUP"},
      {"gateway.path", &Config::gateway_path, "the WebSocket path clients request"},
      {"gateway.threads", &Config::gateway_threads, "event loops, one thread each; 0: one per core"},
      {"gateway.admin_listen", &Config::gateway_admin_listen, "loopback HOST:PORT of /metrics and /healthz; empty: off"},
      {"gateway.control_url", &Config::gateway_control_url, "base URL of the CGI API that serves /api/v1/validate-device"},
      {"gateway.credential", &Config::gateway_credential, "the gateway's htg_ credential (httvps gateway add)", true},
      {"gateway.credential_file", &Config::gateway_credential_file, "file holding gateway.credential (preferred over inline)"},
      {"gateway.validate_timeout_ms", &Config::gateway_validate_timeout_ms, "timeout of one validate-device call"},
      {"gateway.unreachable_policy", &Config::gateway_unreachable_policy,
       "when validate-device cannot be reached: cached (reuse a recent answer) or refuse"},
      {"gateway.stale_seconds", &Config::gateway_stale_seconds, "how long past its TTL 'cached' may reuse an allowed answer"},
      {"gateway.upstream", &Config::gateway_upstream, "nodes (Shadowsocks to the device's nodes), direct, echo or discard"},
      {"gateway.allow_private_targets", &Config::gateway_allow_private_targets,
       "let streams reach loopback, private and link-local addresses"},
      {"gateway.connect_timeout_ms", &Config::gateway_connect_timeout_ms, "timeout of one upstream connect attempt"},
      {"gateway.max_streams", &Config::gateway_max_streams, "streams one connection may have open at once"},
      {"gateway.window", &Config::gateway_window, "initial per-stream flow-control window in bytes (16 KiB to 16 MiB)"},
      {"gateway.max_connections", &Config::gateway_max_connections, "tunnel connections the process accepts at once"},
      {"gateway.drain_seconds", &Config::gateway_drain_seconds, "on SIGTERM, how long open streams may finish"},
      {"gateway.spool_dir", &Config::gateway_spool_dir,
       "directory of the usage spool: batches are written here (fsync) before they are sent"},
      {"gateway.usage_interval_ms", &Config::gateway_usage_interval_ms,
       "how often usage is spooled and sent to /api/v1/usage (100-60000)"},
      {"gateway.heartbeat_seconds", &Config::gateway_heartbeat_seconds, "how often live sessions go to /api/v1/heartbeat"},
      {"gateway.heartbeat_page", &Config::gateway_heartbeat_page, "live sessions per heartbeat request; more go in pages"},
      {"gateway.revalidate_seconds", &Config::gateway_revalidate_seconds,
       "most seconds between two checks of an open connection (and at most the answer's cache_ttl)"},
      {"telegram.bot_token", &Config::telegram_bot_token, "the Telegram bot token from BotFather", true},
      {"telegram.bot_token_file", &Config::telegram_bot_token_file, "file holding telegram.bot_token (preferred over inline)"},
      {"telegram.bot_username", &Config::telegram_bot_username, "the bot's username without '@'; empty: any"},
      {"telegram.webhook_secret", &Config::telegram_webhook_secret,
       "secret Telegram sends in X-Telegram-Bot-Api-Secret-Token", true},
      {"telegram.webhook_secret_file", &Config::telegram_webhook_secret_file, "file holding telegram.webhook_secret"},
      {"telegram.api_url", &Config::telegram_api_url, "base URL of the Bot API"},
      {"telegram.api_timeout_ms", &Config::telegram_api_timeout_ms, "connect, read and write timeout of Bot API calls"},
      {"telegram.trial_plan", &Config::telegram_trial_plan, "plan new users get at /start; empty: no self sign-up"},
      {"telegram.templates_dir", &Config::telegram_templates_dir,
       "directory of the message templates; empty: next to the binary, else the source tree"},
      {"telegram.webapp_url", &Config::telegram_webapp_url, "https:// URL of the Mini App page; empty: no app button"},
      {"telegram.webapp_max_age", &Config::telegram_webapp_max_age, "seconds a Mini App's initData stays valid"},
      {"telegram.chat_rate_limit", &Config::telegram_chat_rate_limit, "updates the bot answers per chat per minute"},
      {"nodes.canary", &Config::nodes_canary,
       "HOST:PORT that probes fetch with an HTTP GET through each node; empty: a TCP connect only"},
      {"nodes.probe_timeout_ms", &Config::nodes_probe_timeout_ms, "time one node's probe may take (100-60000)"},
      {"nodes.down_after", &Config::nodes_down_after, "failed probes in a row that take a node down (1-100)"},
      {"nodes.up_after", &Config::nodes_up_after, "good probes in a row that bring a node back up (1-100)"},
      {"nodes.secret_rotation_days", &Config::nodes_secret_rotation_days,
       "age in days at which rotate-nodes replaces a managed node's gateway secret; 0: never"},
      {"nodes.secret_overlap_seconds", &Config::nodes_secret_overlap_seconds,
       "how long a replaced gateway secret keeps working (60-2592000)"},
      {"nodes.port_span", &Config::nodes_port_span,
       "ports above a managed node's port that its ss-manager may open for keys and secrets"},
      {"nodes.manager_timeout_ms", &Config::nodes_manager_timeout_ms, "timeout of one ss-manager or Outline API call"},
      {"nodes.vless_config_dir", &Config::nodes_vless_config_dir,
       "directory rotate-nodes writes vless nodes' v2ray configs to (NODE.json); empty: none written"},
      {"nodes.vless_listen", &Config::nodes_vless_listen, "the address rendered vless configs listen on"},
      {"nodes.vless_template", &Config::nodes_vless_template,
       "the v2ray template of vless nodes; empty: next to the binary, else the source tree"},
  };
  return keys;
}

std::string env_name_for(const std::string& path) {
  std::string out = "HTTVPS_";
  for (char c : path) out += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::optional<std::string> locate_config_file(const std::optional<std::string>& flag, const Environment& env) {
  namespace fs = std::filesystem;
  if (flag) {
    if (!fs::exists(*flag)) throw config_error("config file '" + *flag + "' does not exist");
    return flag;
  }
  if (auto from_env = env.get("HTTVPS_CONFIG"); from_env && !from_env->empty()) {
    if (!fs::exists(*from_env)) throw config_error("config file '" + *from_env + "' (from HTTVPS_CONFIG) does not exist");
    return from_env;
  }
  if (fs::exists("httvps.toml")) return std::string("httvps.toml");
  if (fs::exists("/etc/httvps/httvps.toml")) return std::string("/etc/httvps/httvps.toml");
  return std::nullopt;
}

void apply_toml(Config& config, const std::string& text, const std::string& name) {
  toml::table table;
  try {
    table = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    throw config_error(where(name, e.source()) + ": " + std::string(e.description()));
  }
  walk(config, table, "", name);
}

void apply_environment(Config& config, const Environment& env) {
  for (const auto& key : config_keys()) {
    std::string var = env_name_for(key.path);
    auto value = env.get(var);
    if (!value) continue;
    std::string problem = set_from_text(config, key, *value);
    if (!problem.empty()) throw config_error("environment variable " + var + " " + problem);
  }
}

void apply_overrides(Config& config, const ConfigOverrides& overrides) {
  for (const auto& [path, text] : overrides) {
    const ConfigKey* key = find_key(path);
    if (key == nullptr) throw usage_error("unknown config key '" + path + "'");
    std::string problem = set_from_text(config, *key, text);
    if (!problem.empty()) throw usage_error("'" + path + "' " + problem, path);
  }
}

void validate(const Config& config) {
  log::parse_level(config.log_level);
  if (config.log_format != "json" && config.log_format != "text" && config.log_format != "auto") {
    throw config_error("'log.format' must be auto, json or text, not '" + config.log_format + "'");
  }
  if (config.cgi_max_body_bytes < 1024 || config.cgi_max_body_bytes > (64LL << 20)) {
    throw config_error("'cgi.max_body_bytes' must be between 1024 and 67108864");
  }
  check_range(config.usage_retention_days, 1, 3650, "usage.retention_days");
  check_range(config.usage_session_retention_days, 1, 3650, "usage.session_retention_days");
  check_range(config.usage_aggregate_timeout_ms, 0, 86400000, "usage.aggregate_timeout_ms");
  if (config.database_connect_timeout < 1 || config.database_connect_timeout > 600) {
    throw config_error("'database.connect_timeout' must be between 1 and 600 seconds");
  }
  if (config.database_statement_timeout_ms < 0) {
    throw config_error("'database.statement_timeout_ms' must not be negative");
  }
  if (!config.public_api_url.starts_with("http://") && !config.public_api_url.starts_with("https://")) {
    throw config_error("'public.api_url' must be an http:// or https:// URL, not '" + config.public_api_url + "'");
  }
  links::gateway_from_url(config.public_gateway_url);  // throws a config error naming the key
  if (config.admin_token_ttl < 60 || config.admin_token_ttl > 86400) {
    throw config_error("'admin.token_ttl' must be between 60 and 86400 seconds");
  }
  if (!config.secrets_key.empty() && !config.secrets_key_file.empty()) {
    throw config_error("set 'secrets.key' or 'secrets.key_file', not both");
  }
  validate_gateway(config);
  validate_telegram(config);
  validate_nodes(config);
}

Config load_config(const std::optional<std::string>& config_flag, const Environment& env,
                   const ConfigOverrides& overrides) {
  Config config;
  if (auto file = locate_config_file(config_flag, env)) {
    apply_toml(config, read_file(*file), *file);
    config.source = *file;
  }
  apply_environment(config, env);
  apply_overrides(config, overrides);
  validate(config);
  return config;
}

std::vector<std::pair<std::string, std::string>> describe(const Config& config) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& key : config_keys()) {
    std::string value = std::visit(
        Overloaded{[&](std::string Config::*m) { return config.*m; },
                   [&](std::int64_t Config::*m) { return std::to_string(config.*m); },
                   [&](bool Config::*m) { return std::string(config.*m ? "true" : "false"); }},
        key.member);
    if (key.secret && !value.empty()) value = log::mask_secret(value);
    out.emplace_back(key.path, value);
  }
  return out;
}

}  // namespace httvps
