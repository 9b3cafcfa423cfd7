#pragma once
// Issuing, rotating and revoking device credentials (the `issue-key` binary and, later,
// the admin API). Each call is one transaction with its audit row. Secrets come back to
// the caller exactly once, here; the database keeps hashes and sealed secrets only.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/app.hpp"

namespace httvps::keys {

struct IssueRequest {
  std::string user;
  std::string device;
  std::optional<std::string> region;  // default: the user's region, else the only region
};

struct NodeInfo {
  std::string name;
  std::string kind;  // shadowsocks | outline | vless
  std::string host;
  int port = 0;
  std::string method;  // empty for vless
  std::string region;
};

// What the owner of a device receives, once.
struct IssuedKeys {
  nlohmann::json device;            // the device record (as `httvps device show` prints it)
  std::string gateway_token;        // htv_…
  std::string subscription_token;   // hts_…
  std::string ss_password;
  std::string ss_method;
  std::string vless_uuid;
  std::optional<NodeInfo> node;     // the assigned node; nullopt when the region has none
};

// Creates DEVICE for USER (refusing past the plan's device limit), assigns the best node of
// its region and mints every credential.
IssuedKeys issue_device(Context& ctx, const IssueRequest& request);

// Replaces every credential of the device (id or "user/name"): the old ones stop working
// at once.
IssuedKeys rotate_device(Context& ctx, const std::string& device_key);

// Revokes the device and all its credentials; returns the device record after.
nlohmann::json revoke_device(Context& ctx, const std::string& device_key);

// The links built from KEYS and the configured public URLs:
// {httvps_uri, subscription_url, outline_url, ss_link?, vless_link?}.
nlohmann::json share_links(const Context& ctx, const IssuedKeys& keys);

// The node a device is assigned to, if any.
std::optional<NodeInfo> node_info(Context& ctx, const nlohmann::json& device_record);

}  // namespace httvps::keys
