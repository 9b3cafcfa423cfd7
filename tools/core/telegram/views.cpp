#include "core/telegram/views.hpp"

#include <algorithm>
#include <set>

#include "core/units.hpp"

namespace httvps::telegram {
namespace {

// Bytes of TEXT that fit in MAX UTF-16 code units, on a UTF-8 sequence boundary.
std::size_t utf16_prefix(const std::string& text, std::size_t max) {
  std::size_t units = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
    std::size_t cost = len == 4 ? 2 : 1;
    if (units + cost > max || i + len > text.size()) break;
    units += cost;
    i += len;
  }
  return i;
}

}  // namespace

std::string human_time(std::int64_t unix_seconds) {
  std::string iso = units::format_timestamp(unix_seconds);  // 2026-12-31T23:59:59Z
  return iso.substr(0, 10) + " " + iso.substr(11, 5) + " UTC";
}

std::string device_lines(const std::vector<DeviceFacts>& devices, const Messages& m) {
  std::string out;
  for (const auto& d : devices) {
    if (!out.empty()) out += "\n";
    out += m.text("devices_line", {{"name", d.name},
                                   {"region", d.region.empty() ? "-" : d.region},
                                   {"last_seen", d.last_seen_at ? human_time(*d.last_seen_at) : m.text("word_never")},
                                   {"used", units::format_bytes(d.used_bytes)}});
  }
  return out;
}

Vars usage_vars(const UsageFacts& f, const Messages& m) {
  Vars v;
  v["plan"] = f.plan;
  v["status"] = m.text("status_" + (f.status.empty() ? std::string("active") : f.status));
  v["used"] = units::format_bytes(f.used_bytes);
  if (f.data_limit) {
    v["limit"] = units::format_bytes(*f.data_limit);
    v["remaining"] = units::format_bytes(std::max<std::int64_t>(0, *f.data_limit - f.used_bytes));
  } else {
    v["limit"] = m.text("word_unlimited");
    v["remaining"] = m.text("word_unlimited");
  }
  if (!f.started) {
    v["expires"] = m.text("word_on_first_use");
  } else {
    v["expires"] = f.expires_at ? human_time(*f.expires_at) : m.text("word_never");
  }
  std::string lines;
  for (const auto& d : f.devices) {
    if (!lines.empty()) lines += "\n";
    lines += m.text("usage_device_line", {{"name", d.name}, {"used", units::format_bytes(d.used_bytes)}});
  }
  v["devices"] = lines.empty() ? m.text("usage_no_devices") : lines;
  return v;
}

std::string links_text(const nlohmann::json& links, const Messages& m) {
  static const std::pair<const char*, const char*> kOrder[] = {{"subscription_url", "label_subscription"},
                                                               {"ss_link", "label_ss"},
                                                               {"vless_link", "label_vless"},
                                                               {"outline_url", "label_outline"},
                                                               {"httvps_uri", "label_httvps"}};
  std::string out;
  for (const auto& [member, label] : kOrder) {
    auto it = links.find(member);
    if (it == links.end() || !it->is_string()) continue;
    if (!out.empty()) out += "\n\n";
    out += m.text(label) + "\n" + it->get<std::string>();
  }
  return out;
}

std::string next_device_name(const std::vector<std::string>& live_names) {
  std::set<std::string> taken(live_names.begin(), live_names.end());
  for (int n = 1;; ++n) {
    std::string name = "device-" + std::to_string(n);
    if (taken.count(name) == 0) return name;
  }
}

nlohmann::json main_keyboard(const Messages& m, const std::string& webapp_url) {
  auto button = [&](const char* label, const char* data) {
    return nlohmann::json{{"text", m.text(label)}, {"callback_data", data}};
  };
  nlohmann::json rows = nlohmann::json::array();
  rows.push_back({button("button_key", "key"), button("button_devices", "devices")});
  rows.push_back({button("button_usage", "usage"), button("button_help", "help")});
  if (!webapp_url.empty()) {
    rows.push_back({{{"text", m.text("button_app")}, {"web_app", {{"url", webapp_url}}}}});
  }
  return {{"inline_keyboard", rows}};
}

nlohmann::json revoke_keyboard(const std::vector<DeviceFacts>& devices, const Messages& m) {
  nlohmann::json rows = nlohmann::json::array();
  for (std::size_t i = 0; i < devices.size() && i < 20; ++i) {
    rows.push_back({{{"text", m.text("button_revoke", {{"device", devices[i].name}})},
                     {"callback_data", "revoke:" + std::to_string(devices[i].id)}}});
  }
  return {{"inline_keyboard", rows}};
}

nlohmann::json send_message(std::int64_t chat_id, const std::string& text, const nlohmann::json& keyboard) {
  constexpr std::size_t kMaxUnits = 4096;
  std::string body = text.substr(0, utf16_prefix(text, kMaxUnits));
  if (body.empty()) body = "…";
  nlohmann::json method = {{"method", "sendMessage"},
                           {"chat_id", chat_id},
                           {"text", body},
                           {"link_preview_options", {{"is_disabled", true}}}};
  if (!keyboard.is_null()) method["reply_markup"] = keyboard;
  return method;
}

}  // namespace httvps::telegram
