#pragma once
// The bot: one update in, at most one Bot API method out (returned in the webhook answer,
// which Telegram executes), plus outbound calls only where a second message is needed
// (the QR code photo after /key, answerCallbackQuery). Every update shape ends in a reply
// or a reason to ignore it; nothing a user sends makes it fail.
//
// Commands (private chats only): /start, /key [device name], /devices, /revoke [device],
// /usage, /help, and the inline buttons that stand for them.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/app.hpp"
#include "core/telegram/settings.hpp"
#include "core/telegram/update.hpp"

namespace httvps::telegram {

struct Reply {
  nlohmann::json method;  // {"method":"sendMessage",...}; null when nothing is sent
  std::string ignored;    // why nothing is sent ("edited message", "group chat", ...)
};

// Handles UPDATE at NOW (unix seconds) against the database of CTX. Acts on an update_id
// once: a redelivered update is ignored ("duplicate"). Database failures propagate (the
// webhook answers 503 and Telegram retries); failures of the outbound calls are logged.
Reply handle_update(Context& ctx, const Settings& settings, const Update& update, std::int64_t now);

}  // namespace httvps::telegram
