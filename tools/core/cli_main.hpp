#pragma once
// cli_main(): the entry every main.cpp calls. Header-only because it needs CLI11, which
// costs seconds per translation unit; include it from main.cpp files only.

#include <CLI/CLI.hpp>

#include <iostream>

#include "core/app.hpp"

namespace httvps {

// Adds the options every binary shares (--config, --check-config, --output,
// --database-url, --log-level, --set, --version) to APP.
inline void add_common_options(CLI::App& app, CommonOptions& common, const ProgramSpec& spec) {
  app.set_version_flag("--version", version_string(spec.name), "Print the version and exit");
  app.add_option_function<std::string>(
         "--config", [&common](const std::string& v) { common.config_file = v; },
         "TOML config file (default: $HTTVPS_CONFIG, ./httvps.toml, /etc/httvps/httvps.toml)")
      ->type_name("FILE");
  app.add_flag("--check-config", common.check_config, "Validate the configuration, print it and exit");
  app.add_option("-o,--output", common.output, "Output format: text or json")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"text", "json", "table"}));
  app.add_option_function<std::string>(
         "--database-url", [&common](const std::string& v) { common.overrides.emplace_back("database.url", v); },
         "libpq connection string or URI (overrides database.url)")
      ->type_name("URL");
  app.add_option_function<std::string>(
         "--log-level", [&common](const std::string& v) { common.overrides.emplace_back("log.level", v); },
         "debug, info, warn or error")
      ->type_name("LEVEL");
  app.add_option_function<std::vector<std::string>>(
         "--set",
         [&common](const std::vector<std::string>& items) {
           for (const auto& item : items) {
             auto eq = item.find('=');
             if (eq == std::string::npos) throw CLI::ValidationError("--set", "expected KEY=VALUE, got '" + item + "'");
             common.overrides.emplace_back(item.substr(0, eq), item.substr(eq + 1));
           }
         },
         "Override any config key, e.g. --set log.format=text")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
}

// True when the command line asks for JSON output; used to format errors of a command
// line that could not be parsed as a whole.
inline bool wants_json_output(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--output=json" || a == "-ojson") return true;
    if ((a == "--output" || a == "-o") && i + 1 < argc && std::string(argv[i + 1]) == "json") return true;
  }
  return false;
}

// Parses the command line (or serves CGI when the spec allows and GATEWAY_INTERFACE is
// set) and runs the binary through the shared start-up path. DECLARE adds the binary's own
// options and subcommands to the CLI11 app.
template <typename Declare>
int cli_main(const ProgramSpec& spec, int argc, char** argv, Declare&& declare, const CliRun& run,
             const CgiRun& cgi_run = {}) {
  Environment env = Environment::capture();
  bool cgi_mode = spec.cgi && cgi::is_cgi(env) && cgi_run;
  prepare_process(spec, cgi_mode);
  if (cgi_mode) return run_cgi(spec, env, cgi_run);

  CLI::App app{spec.summary, spec.name};
  app.option_defaults()->always_capture_default(false);
  // Global options may follow the command too: `httvps plan list -o json`. Subcommands
  // inherit this setting when they are created, so it is set before declare().
  app.fallthrough();
  CommonOptions common;
  add_common_options(app, common, spec);
  declare(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {  // --help, --version
      app.exit(e, std::cout, std::cerr);
      return finish_stdout(spec.name, 0);
    }
    // CLI11 checks required subcommands before it complains about unknown arguments;
    // the unknown argument is the more useful message, so it comes first.
    std::vector<std::string> extra = app.remaining(true);
    std::string message = extra.empty() ? std::string(e.what()) : "unrecognized argument '" + extra.front() + "'";
    if (wants_json_output(argc, argv)) {
      print_error(OutputFormat::kJson, spec.name, usage_error(message));
    } else {
      std::cerr << spec.name << ": " << message << "\n";
      std::cerr << "Run '" << spec.name << " --help' for usage.\n";
    }
    return static_cast<int>(ExitCode::kUsage);
  }
  return run_cli(spec, common, env, run);
}

}  // namespace httvps
