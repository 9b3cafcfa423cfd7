#include "core/app.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/crypto.hpp"
#include "core/log.hpp"
#include "core/version.hpp"

namespace httvps {
namespace {

std::string unix_user() {
  struct passwd pw {};
  struct passwd* result = nullptr;
  char buf[1024];
  if (getpwuid_r(getuid(), &pw, buf, sizeof buf, &result) == 0 && result != nullptr) return result->pw_name;
  return "uid" + std::to_string(getuid());
}

std::string read_key_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw config_error("cannot read secrets.key_file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text;
}

log::Format log_format_for(const Config& config, bool stderr_is_tty) {
  if (config.log_format == "json") return log::Format::kJson;
  if (config.log_format == "text") return log::Format::kText;
  return stderr_is_tty ? log::Format::kText : log::Format::kJson;
}

}  // namespace

Context::Context(const ProgramSpec& spec, Environment env, Config config, OutputFormat output)
    : spec_(spec), env_(std::move(env)), config_(std::move(config)), output_(output), actor_("cli:" + unix_user()) {}

db::Connection& Context::db() {
  if (!db_) {
    db::ConnectOptions o;
    o.conninfo = config_.database_url;
    o.connect_timeout_seconds = static_cast<int>(config_.database_connect_timeout);
    o.statement_timeout_ms = config_.database_statement_timeout_ms;
    o.application_name = spec_.name;
    db_.emplace(db::Connection::open(o));
  }
  return *db_;
}

const std::string& Context::secrets_key() {
  if (!secrets_key_) {
    std::string text = config_.secrets_key;
    if (text.empty() && !config_.secrets_key_file.empty()) text = read_key_file(config_.secrets_key_file);
    if (text.empty()) throw config_error("no secrets key configured: set secrets.key_file (or HTTVPS_SECRETS_KEY_FILE)");
    secrets_key_ = crypto::decode_key(text);
  }
  return *secrets_key_;
}

void prepare_process(const ProgramSpec& spec, bool cgi_mode) {
  // A CGI whose client went away must still finish its transaction and exit cleanly; a
  // CLI piped into `head` may die quietly, as Unix tools do.
  std::signal(SIGPIPE, cgi_mode ? SIG_IGN : SIG_DFL);
  if (spec.writes_secrets) umask(077);
}

int finish_stdout(const std::string& program, int code) {
  std::cout.flush();
  if (std::fflush(stdout) != 0 || std::ferror(stdout) || !std::cout.good()) {
    std::cerr << program << ": write error on stdout\n";
    return static_cast<int>(ExitCode::kInternal);
  }
  return code;
}

std::string version_string(const char* program) {
  return std::string(program) + " " + kVersion + " (" + kGitRevision + ")";
}

int run_cli(const ProgramSpec& spec, const CommonOptions& common, const Environment& env, const CliRun& run) {
  OutputFormat format = OutputFormat::kText;
  log::init(spec.name, log::Level::kWarn, log::Format::kText);
  try {
    format = parse_output_format(common.output);
    Config config = load_config(common.config_file, env, common.overrides);
    log::init(spec.name, log::parse_level(config.log_level), log_format_for(config, isatty(STDERR_FILENO) != 0));
    if (common.check_config) {
      if (!config.secrets_key.empty() || !config.secrets_key_file.empty()) {
        Context probe(spec, env, config, format);
        probe.secrets_key();  // a missing or malformed key fails the check here
      }
      nlohmann::ordered_json values = nlohmann::ordered_json::object();
      for (const auto& [k, v] : describe(config)) values[k] = v;
      nlohmann::ordered_json out = {{"ok", true},
                                    {"source", config.source.empty() ? nlohmann::ordered_json(nullptr)
                                                                     : nlohmann::ordered_json(config.source)},
                                    {"values", values}};
      if (format == OutputFormat::kJson) {
        std::cout << out.dump(2) << '\n';
      } else {
        std::cout << spec.name << ": config ok (" << (config.source.empty() ? "defaults, no file" : config.source) << ")\n";
        std::size_t width = 0;
        for (const auto& [k, v] : describe(config)) width = std::max(width, k.size());
        for (const auto& [k, v] : describe(config)) {
          std::cout << k << ":" << std::string(width - k.size() + 1, ' ') << (v.empty() ? "\"\"" : v) << '\n';
        }
      }
      return finish_stdout(spec.name, 0);
    }
    Context ctx(spec, env, std::move(config), format);
    int code = run(ctx);
    return finish_stdout(spec.name, code);
  } catch (const Failure& f) {
    print_error(format, spec.name, f);
    return finish_stdout(spec.name, static_cast<int>(f.code()));
  } catch (const std::exception& e) {
    Failure f(ExitCode::kInternal, std::string("internal error: ") + e.what());
    print_error(format, spec.name, f);
    return finish_stdout(spec.name, static_cast<int>(f.code()));
  }
}

int run_cgi(const ProgramSpec& spec, const Environment& env, const CgiRun& run) {
  std::string request_id = cgi::request_id_from(env);
  // Subscription URLs carry their token in the path: never log or echo it whole.
  std::string instance = cgi::redact_path(env.get("PATH_INFO").value_or(env.get("SCRIPT_NAME").value_or("")));
  log::init(spec.name, log::Level::kInfo, log::Format::kJson);
  log::set_request_id(request_id);
  cgi::Response response;
  bool body_read = false;
  try {
    Config config = load_config(std::nullopt, env, {});
    log::init(spec.name, log::parse_level(config.log_level), log_format_for(config, false));
    cgi::Request request = cgi::read_request(env, std::cin, config.cgi_max_body_bytes);
    request.request_id = request_id;
    body_read = true;
    Context ctx(spec, env, std::move(config), OutputFormat::kJson);
    ctx.set_actor("api:anonymous");
    response = run(ctx, request);
  } catch (const Failure& f) {
    response = cgi::problem_response(f, request_id, instance);
    auto level = f.code() == ExitCode::kInternal || f.code() == ExitCode::kConfig ? log::Level::kError
                 : f.code() == ExitCode::kTempFail                                 ? log::Level::kWarn
                                                                                    : log::Level::kInfo;
    log::write(level, f.what(), {{"code", exit_code_name(f.code())}, {"path", instance}});
  } catch (const std::exception& e) {
    // Never leak internals to the client; the log has them.
    Failure f(ExitCode::kInternal, "internal error");
    response = cgi::problem_response(f, request_id, instance);
    log::error(std::string("internal error: ") + e.what(), {{"path", instance}});
  }
  // fcgiwrap writes the whole body before it reads the answer: an answer given before the
  // body was read must still consume it, or fcgiwrap turns the answer into a 502.
  if (!body_read) cgi::drain_body(env, std::cin);
  response.headers.emplace_back("X-Request-Id", request_id);
  response.headers.emplace_back("Cache-Control", "no-store");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  std::string wire = cgi::render(response);
  std::fwrite(wire.data(), 1, wire.size(), stdout);
  std::fflush(stdout);
  return 0;
}

}  // namespace httvps
