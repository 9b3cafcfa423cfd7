#include "core/nodes/vless_config.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/links.hpp"

namespace httvps::nodes {
namespace {

using nlohmann::json;

bool is_utf8(std::string_view s) {
  try {
    (void)json(std::string(s)).dump();
    return true;
  } catch (const json::exception&) {
    return false;
  }
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

void validate(const VlessNodeConfig& node) {
  if (node.port < 1 || node.port > 65535) throw usage_error("vless node port " + std::to_string(node.port) + " is outside 1..65535", "port");
  if (node.listen.empty() || has_control(node.listen) || !is_utf8(node.listen)) throw usage_error("vless node listen address is empty or malformed", "listen");
  std::set<std::string> uuids, emails;
  for (const auto& u : node.users) {
    if (!links::is_uuid(u.uuid)) throw usage_error("vless user '" + u.email + "' has a malformed uuid", "uuid");
    if (u.email.empty() || u.email.size() > 200 || has_control(u.email) || !is_utf8(u.email)) {
      throw usage_error("vless user with uuid " + u.uuid + " has an empty or malformed email", "email");
    }
    if (!uuids.insert(u.uuid).second) throw usage_error("vless uuid " + u.uuid + " is given twice", "uuid");
    if (!emails.insert(u.email).second) throw usage_error("vless email '" + u.email + "' is given twice", "email");
  }
}

// Replaces every string value "@NAME@" in V with VALUES[NAME]; records what it used.
void fill(json& v, const std::map<std::string, json>& values, std::set<std::string>& used) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s.size() > 2 && s.front() == '@' && s.back() == '@') {
      auto it = values.find(s.substr(1, s.size() - 2));
      if (it == values.end()) throw config_error("the vless template has an unknown placeholder '" + s + "'");
      used.insert(it->first);
      v = it->second;
    }
    return;
  }
  if (v.is_structured()) {
    for (auto& child : v) fill(child, values, used);
  }
}

json parse_config(std::string_view text, const char* what) {
  auto j = json::parse(text, nullptr, false, true);
  if (j.is_discarded()) throw config_error(std::string("the ") + what + " is not JSON");
  if (!j.is_object()) throw config_error(std::string("the ") + what + " is not a JSON object");
  return j;
}

bool is_vless_inbound(const json& inbound) {
  return inbound.is_object() && inbound.contains("protocol") && inbound["protocol"] == "vless";
}

// CONFIG without the clients of its vless inbounds: what is left to compare.
json without_clients(json config) {
  if (config.contains("inbounds") && config["inbounds"].is_array()) {
    for (auto& inbound : config["inbounds"]) {
      if (is_vless_inbound(inbound) && inbound.contains("settings") && inbound["settings"].is_object()) {
        inbound["settings"].erase("clients");
      }
    }
  }
  return config;
}

}  // namespace

std::string read_vless_template(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw config_error("cannot read the vless template '" + path.string() + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string render_vless_config(std::string_view template_text, const VlessNodeConfig& node) {
  validate(node);
  json config = parse_config(template_text, "vless template");
  std::vector<VlessUser> users = node.users;
  std::sort(users.begin(), users.end(), [](const VlessUser& a, const VlessUser& b) { return a.uuid < b.uuid; });
  json clients = json::array();
  for (const auto& u : users) clients.push_back({{"id", u.uuid}, {"email", u.email}, {"level", 0}});
  const std::map<std::string, json> values = {{"LISTEN", node.listen}, {"PORT", node.port}, {"CLIENTS", clients}};
  std::set<std::string> used;
  fill(config, values, used);
  for (const auto& [name, value] : values) {
    if (!used.count(name)) throw config_error("the vless template lacks the placeholder \"@" + name + "@\"");
  }
  return config.dump(2) + "\n";
}

std::vector<VlessUser> vless_users(std::string_view config_json) {
  json config = parse_config(config_json, "v2ray config");
  std::vector<VlessUser> users;
  if (!config.contains("inbounds")) return users;
  if (!config["inbounds"].is_array()) throw config_error("the v2ray config's inbounds is not an array");
  for (const auto& inbound : config["inbounds"]) {
    if (!is_vless_inbound(inbound)) continue;
    if (!inbound.contains("settings") || !inbound["settings"].is_object() || !inbound["settings"].contains("clients") ||
        !inbound["settings"]["clients"].is_array()) {
      throw config_error("a vless inbound of the v2ray config has no settings.clients array");
    }
    for (const auto& c : inbound["settings"]["clients"]) {
      if (!c.is_object() || !c.contains("id") || !c["id"].is_string()) {
        throw config_error("a vless client of the v2ray config has no string id");
      }
      std::string email = c.contains("email") && c["email"].is_string() ? c["email"].get<std::string>() : "";
      users.push_back({c["id"].get<std::string>(), email});
    }
  }
  return users;
}

VlessChanges what_changed(std::string_view old_json, std::string_view new_json) {
  auto by_uuid = [](std::string_view text) {
    std::map<std::string, VlessUser> out;
    if (text.empty()) return out;
    for (auto& u : vless_users(text)) out.emplace(u.uuid, u);
    return out;
  };
  auto before = by_uuid(old_json);
  auto after = by_uuid(new_json);
  VlessChanges changes;
  for (const auto& [uuid, user] : after) {
    auto it = before.find(uuid);
    if (it == before.end()) {
      changes.added.push_back(user);
    } else if (it->second.email != user.email) {
      changes.renamed.push_back(user);
    }
  }
  for (const auto& [uuid, user] : before) {
    if (!after.count(uuid)) changes.removed.push_back(user);
  }
  if (old_json.empty() != new_json.empty()) {
    changes.settings_changed = true;
  } else if (!old_json.empty()) {
    changes.settings_changed = without_clients(parse_config(old_json, "v2ray config")) !=
                               without_clients(parse_config(new_json, "v2ray config"));
  }
  return changes;
}

}  // namespace httvps::nodes
