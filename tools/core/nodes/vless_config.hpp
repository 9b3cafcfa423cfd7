#pragma once
// The v2ray server config of a vless node, rendered from templates/v2ray/vless-node.json.in
// with the node's address and its users (one per device: uuid and an email-style label v2ray
// uses in logs and stats), and the difference between two rendered configs, so the job can
// report which users a reload adds and removes. Pure functions; the caller reads and writes
// files and reloads v2ray.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace httvps::nodes {

struct VlessUser {
  std::string uuid{};
  std::string email{};
  bool operator==(const VlessUser&) const = default;
};

struct VlessNodeConfig {
  std::string listen = "0.0.0.0";
  int port = 0;
  std::vector<VlessUser> users{};
};

struct VlessChanges {
  std::vector<VlessUser> added{};          // by uuid, ascending
  std::vector<VlessUser> removed{};        // by uuid, ascending
  std::vector<VlessUser> renamed{};        // same uuid, new email (the new user)
  bool settings_changed = false;           // anything else in the config differs
  bool empty() const { return added.empty() && removed.empty() && renamed.empty() && !settings_changed; }
};

// Reads a template file. Throws Failure(kConfig) when it cannot be read.
std::string read_vless_template(const std::filesystem::path& path);

// Fills TEMPLATE_TEXT (JSON with // comments allowed) with NODE and returns the config as
// indented JSON, users sorted by uuid so equal inputs give equal bytes. Throws
// Failure(kUsage, field) for a bad node (port outside 1..65535, empty listen, a uuid that is
// not one, an empty or control-character email, a uuid or email twice), Failure(kConfig)
// for a template that is not JSON, lacks a placeholder, or leaves one unknown.
std::string render_vless_config(std::string_view template_text, const VlessNodeConfig& node);

// The users of every vless inbound of CONFIG_JSON. Throws Failure(kConfig) naming what is
// malformed.
std::vector<VlessUser> vless_users(std::string_view config_json);

// What changes from OLD_JSON to NEW_JSON (either may be empty: no config yet / none any
// more). Throws like vless_users.
VlessChanges what_changed(std::string_view old_json, std::string_view new_json);

}  // namespace httvps::nodes
