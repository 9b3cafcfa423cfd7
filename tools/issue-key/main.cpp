// issue-key: mint, rotate and revoke device credentials and print their share links.
// As CGI it serves GET /api/v1/sub/{token} (subscriptions).

#include "core/cli_main.hpp"
#include "core/keys/issue_key_cmd.hpp"
#include "core/keys/subscription.hpp"

int main(int argc, char** argv) {
  static const httvps::ProgramSpec spec{"issue-key", "issue-key: mint, rotate and revoke device credentials",
                                        /*cgi=*/true, /*writes_secrets=*/true};
  httvps::keys::IssueKeyOptions o;
  auto declare = [&](CLI::App& app) {
    app.add_option_function<std::string>("--user", [&](const std::string& v) { o.user = v; }, "Username of the owner");
    app.add_option_function<std::string>("--device", [&](const std::string& v) { o.device = v; }, "Name of the new device");
    app.add_option_function<std::string>("--region", [&](const std::string& v) { o.region = v; },
                                         "Region of the device (default: the user's, else the only one)");
    app.add_option_function<std::string>("--rotate", [&](const std::string& v) { o.rotate = v; },
                                         "Replace every credential of DEVICE (id or user/name)")
        ->type_name("DEVICE");
    app.add_option_function<std::string>("--revoke", [&](const std::string& v) { o.revoke = v; },
                                         "Revoke DEVICE and its credentials")
        ->type_name("DEVICE");
    app.add_option_function<std::string>("--qr", [&](const std::string& v) { o.qr = v; },
                                         "Also draw a QR code of one link: httvps, ss, vless or sub")
        ->check(CLI::IsMember({"httvps", "ss", "vless", "sub"}))
        ->type_name("KIND");
  };
  return httvps::cli_main(
      spec, argc, argv, declare, [&](httvps::Context& ctx) { return httvps::keys::run_issue_key(ctx, o); },
      httvps::keys::serve_subscription);
}
