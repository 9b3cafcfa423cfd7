// validate-device: may a device connect now? The verdict is the exit code (0 allowed,
// 1 refused). As CGI it serves POST /api/v1/validate-device for gateways.

#include "core/access/validate.hpp"
#include "core/access/validate_cmd.hpp"
#include "core/cli_main.hpp"

int main(int argc, char** argv) {
  static const httvps::ProgramSpec spec{"validate-device", "validate-device: decide whether a device may connect now",
                                        /*cgi=*/true};
  httvps::access::ValidateOptions o;
  auto declare = [&](CLI::App& app) {
    // Checked in run_validate_cli, not by CLI11, so that --check-config works without it.
    app.add_option("--token", o.token, "The device's gateway token (htv_…); '-' reads it from standard input (required)");
    app.add_option_function<std::string>("--hwid", [&](const std::string& v) { o.hwid = v; },
                                         "Hardware id the device presents");
    app.add_flag("--dry-run", o.dry_run, "Decide only: change nothing (no on_hold start, no last-seen update)");
  };
  return httvps::cli_main(
      spec, argc, argv, declare, [&](httvps::Context& ctx) { return httvps::access::run_validate_cli(ctx, o); },
      httvps::access::serve_validate);
}
