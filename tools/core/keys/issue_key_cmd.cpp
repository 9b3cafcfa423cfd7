#include "core/keys/issue_key_cmd.hpp"

#include <unistd.h>

#include <iostream>

#include "core/keys/issue.hpp"
#include "core/log.hpp"
#include "core/qr.hpp"

namespace httvps::keys {
namespace {

void print_keys(Context& ctx, const IssuedKeys& keys, const std::string& verb, const IssueKeyOptions& o) {
  nlohmann::json links = share_links(ctx, keys);
  if (ctx.output() == OutputFormat::kJson) {
    nlohmann::json out = {{"device", keys.device}, {"gateway_token", keys.gateway_token},
                          {"subscription_token", keys.subscription_token}, {"links", links}};
    if (keys.node) out["node"] = {{"name", keys.node->name}, {"kind", keys.node->kind}, {"region", keys.node->region}};
    print_result(OutputFormat::kJson, out);
  } else {
    const auto& d = keys.device;
    std::cout << verb << " device '" << d.value("name", "") << "' of user '" << d.value("user", "") << "' (id "
              << d["id"].get<std::int64_t>() << ")";
    if (keys.node) std::cout << ", node " << keys.node->name << " in region " << keys.node->region;
    std::cout << "\n\n";
    std::cout << "gateway token     " << keys.gateway_token << "\n";
    std::cout << "httvps URI        " << links["httvps_uri"].get<std::string>() << "\n";
    std::cout << "subscription URL  " << links["subscription_url"].get<std::string>() << "\n";
    if (links.contains("ss_link")) std::cout << "ss:// link        " << links["ss_link"].get<std::string>() << "\n";
    if (links.contains("outline_url")) std::cout << "Outline key URL   " << links["outline_url"].get<std::string>() << "\n";
    if (links.contains("vless_link")) std::cout << "vless:// link     " << links["vless_link"].get<std::string>() << "\n";
    std::cout << "\nThe token and password are shown once; httvps keeps only their hashes and sealed copies.\n";
  }
  if (o.qr) {
    static const std::map<std::string, std::string> kField = {
        {"httvps", "httvps_uri"}, {"ss", "ss_link"}, {"vless", "vless_link"}, {"sub", "subscription_url"}};
    const std::string& field = kField.at(*o.qr);
    if (!links.contains(field)) {
      // The credentials are already stored and printed: report, but do not fail the run.
      std::cerr << "issue-key: warning: this device has no " << *o.qr << " link to draw as a QR code\n";
      return;
    }
    // The QR code goes to stderr in JSON mode so stdout stays one JSON document.
    (ctx.output() == OutputFormat::kJson ? std::cerr : std::cout) << "\n" << render_qr_terminal(links[field].get<std::string>());
  }
}

}  // namespace

int run_issue_key(Context& ctx, const IssueKeyOptions& o) {
  const int modes = (o.user || o.device ? 1 : 0) + (o.rotate ? 1 : 0) + (o.revoke ? 1 : 0);
  if (modes != 1) throw usage_error("give --user and --device to issue, or --rotate DEVICE, or --revoke DEVICE");
  if (o.qr && o.revoke) throw usage_error("--qr goes with issuing or rotating, not --revoke", "qr");
  if (o.region && (o.rotate || o.revoke)) throw usage_error("--region goes with issuing only", "region");
  if (isatty(STDOUT_FILENO) == 0 && ctx.output() == OutputFormat::kText) {
    log::debug("writing secrets to a non-terminal stdout");
  }
  if (o.revoke) {
    nlohmann::json device = revoke_device(ctx, *o.revoke);
    if (ctx.output() == OutputFormat::kJson) {
      print_result(OutputFormat::kJson, {{"revoked", device}});
    } else {
      std::cout << "revoked device '" << device.value("name", "") << "' of user '" << device.value("user", "")
                << "': its credentials stopped working\n";
    }
    return 0;
  }
  if (o.rotate) {
    print_keys(ctx, rotate_device(ctx, *o.rotate), "rotated the credentials of", o);
    return 0;
  }
  if (!o.user || !o.device) throw usage_error("issuing needs both --user and --device");
  IssueRequest request{*o.user, *o.device, o.region};
  print_keys(ctx, issue_device(ctx, request), "issued", o);
  return 0;
}

}  // namespace httvps::keys
