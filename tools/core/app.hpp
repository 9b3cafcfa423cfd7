#pragma once
// The one start-up path. Every binary's main() goes through cli_main() (cli_main.hpp),
// which lands here: signals and umask, config (file < env < flags), logging, the CLI or
// CGI front, the exit-code mapping of every Failure, and the final check that stdout was
// really written. A binary declares what it needs in its ProgramSpec.

#include <functional>
#include <optional>
#include <string>

#include "core/cgi.hpp"
#include "core/config.hpp"
#include "core/db.hpp"
#include "core/environment.hpp"
#include "core/output.hpp"

namespace httvps {

struct ProgramSpec {
  const char* name;             // "issue-key"
  const char* summary;          // one line for --help
  bool cgi = false;             // may run as a CGI program (GATEWAY_INTERFACE set)
  bool writes_secrets = false;  // creates files holding secrets: umask 077
};

// Options every binary accepts, filled by cli_main() from the command line.
struct CommonOptions {
  std::optional<std::string> config_file;  // --config
  bool check_config = false;               // --check-config
  std::string output = "text";             // --output text|json
  ConfigOverrides overrides;               // --database-url, --log-level, --set KEY=VALUE
};

// What a run can reach: the configuration, the environment snapshot, the chosen output
// format and, opened on first use, the database.
class Context {
 public:
  Context(const ProgramSpec& spec, Environment env, Config config, OutputFormat output);

  const ProgramSpec& spec() const { return spec_; }
  const Environment& env() const { return env_; }
  const Config& config() const { return config_; }
  OutputFormat output() const { return output_; }

  // The database connection, opened on first call. Throws DbError(kConnect) →
  // exit code temp_failure when the server cannot be reached.
  db::Connection& db();

  // The 32-byte key that seals secrets at rest, from secrets.key or secrets.key_file.
  // Throws Failure(kConfig) when neither is set or the key is malformed.
  const std::string& secrets_key();

  // Who is acting, for the audit log: "cli:<unix user>" in CLI mode; CGI fronts set it.
  const std::string& actor() const { return actor_; }
  void set_actor(std::string actor) { actor_ = std::move(actor); }

 private:
  const ProgramSpec& spec_;
  Environment env_;
  Config config_;
  OutputFormat output_;
  std::optional<db::Connection> db_;
  std::optional<std::string> secrets_key_;
  std::string actor_;
};

using CliRun = std::function<int(Context&)>;
using CgiRun = std::function<cgi::Response(Context&, const cgi::Request&)>;

// Sets signal dispositions and the umask for SPEC. Called first by cli_main().
void prepare_process(const ProgramSpec& spec, bool cgi_mode);

// The CLI front after flag parsing: loads config, sets up logging, runs RUN, prints any
// Failure to stderr and returns the exit code. With --check-config it validates the
// configuration, prints the effective values and returns.
int run_cli(const ProgramSpec& spec, const CommonOptions& common, const Environment& env, const CliRun& run);

// The CGI front: reads the request, runs RUN, writes the response (problem+json for any
// Failure) on stdout. Always returns 0; the status travels in the response.
int run_cgi(const ProgramSpec& spec, const Environment& env, const CgiRun& run);

// Final check that everything written to stdout reached it (git's check in common-main):
// returns kInternal after printing an error when a write failed (disk full, closed pipe).
int finish_stdout(const std::string& program, int code);

// The version string printed by --version: "httvps 0.1.0 (git abc1234)".
std::string version_string(const char* program);

}  // namespace httvps
