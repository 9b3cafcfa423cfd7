#pragma once
// What the bot shows, as pure functions from plain facts to template variables and
// keyboards: usage, device lists, the links of a new key, the default device name. The
// database code (bot.cpp) only loads the facts; tests feed them directly.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/telegram/messages.hpp"

namespace httvps::telegram {

struct DeviceFacts {
  std::int64_t id = 0;
  std::string name;
  std::string region;                        // may be empty
  std::optional<std::int64_t> last_seen_at;  // unix seconds
  std::int64_t used_bytes = 0;               // this period, from the hourly rollups
};

struct UsageFacts {
  std::string plan;
  std::string status;                        // active, disabled, limited, expired, on_hold
  std::int64_t used_bytes = 0;               // this period
  std::optional<std::int64_t> data_limit;    // nullopt: unlimited
  std::optional<std::int64_t> expires_at;    // nullopt: never (or not started)
  bool started = true;                       // false while on hold
  std::vector<DeviceFacts> devices;
};

// {plan, status, used, limit, remaining, expires, devices}: sizes as "1.50 GiB", times as
// "2026-12-31 23:59 UTC", the words for "unlimited", "never" and "starts on first use"
// from M, devices one per line from the template "usage_device_line" (or "usage_no_devices").
Vars usage_vars(const UsageFacts& facts, const Messages& m);

// The devices, one line each ("devices_line"), with "never" for devices not seen yet.
std::string device_lines(const std::vector<DeviceFacts>& devices, const Messages& m);

// The links of a freshly issued key, one labelled block each, in the order subscription,
// ss, vless, outline, httvps. LINKS is keys::share_links(); absent members are skipped.
std::string links_text(const nlohmann::json& links, const Messages& m);

// "device-1", "device-2", ...: the first such name no live device of the user has.
std::string next_device_name(const std::vector<std::string>& live_names);

// The inline keyboard under most answers: Key, Devices / Usage, Help, and an "Open app"
// button when WEBAPP_URL is set. Labels come from the "button_*" templates.
nlohmann::json main_keyboard(const Messages& m, const std::string& webapp_url);

// One "Revoke NAME" button per device (callback "revoke:<id>"), at most 20.
nlohmann::json revoke_keyboard(const std::vector<DeviceFacts>& devices, const Messages& m);

// A sendMessage method for the webhook answer: TEXT cut to Telegram's 4096 characters
// (counted in UTF-16 code units, as Telegram counts), link previews off, KEYBOARD attached
// when it is not null.
nlohmann::json send_message(std::int64_t chat_id, const std::string& text, const nlohmann::json& keyboard);

// "2026-12-31 23:59 UTC".
std::string human_time(std::int64_t unix_seconds);

}  // namespace httvps::telegram
