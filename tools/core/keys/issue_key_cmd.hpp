#pragma once
// The `issue-key` command: options and run(). As CGI the binary serves subscriptions.

#include <optional>
#include <string>

#include "core/app.hpp"

namespace httvps::keys {

struct IssueKeyOptions {
  std::optional<std::string> user;    // issue: --user
  std::optional<std::string> device;  // issue: --device NAME
  std::optional<std::string> region;  // issue: --region
  std::optional<std::string> rotate;  // --rotate DEVICE (id or user/name)
  std::optional<std::string> revoke;  // --revoke DEVICE
  std::optional<std::string> qr;      // --qr KIND: httvps | ss | vless | sub
};

// Exactly one of issue (--user + --device), --rotate, --revoke; prints the result.
int run_issue_key(Context& ctx, const IssueKeyOptions& options);

}  // namespace httvps::keys
