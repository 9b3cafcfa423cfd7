#pragma once
// Telegram Bot API updates as the webhook receives them, reduced to the plain facts the
// bot acts on, and the command grammar of its messages. Pure functions on untrusted
// bytes: nothing here touches the database or the network, and nothing may crash on any
// input (tools/core/fuzz/fuzz_telegram.cpp).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace httvps::telegram {

enum class UpdateKind {
  kMessage,        // a new message (text or not)
  kEditedMessage,  // an edit of an earlier message: ignored
  kCallbackQuery,  // a press on an inline keyboard button
  kMyChatMember,   // the bot's own membership changed (blocked, unblocked, added to a group)
  kOther,          // any other or future update type: ignored
};

std::string_view kind_name(UpdateKind kind);

// The facts of one update. Fields the update does not carry stay empty.
struct Update {
  std::int64_t update_id = 0;
  UpdateKind kind = UpdateKind::kOther;
  std::string type;                    // the update's own member name ("message", "poll", ...)
  std::optional<std::int64_t> chat_id;
  std::string chat_type;               // "private", "group", "supergroup", "channel"
  std::optional<std::int64_t> from_id; // the Telegram user
  std::string from_username;
  std::string language_code;           // the user's client language ("en", "ru", "pt-br"), may be empty
  bool from_bot = false;
  std::optional<std::string> text;     // message text (or caption); nullopt for stickers, photos, ...
  std::string callback_id;             // callback_query.id
  std::string callback_data;           // callback_query.data
  std::string member_status;           // my_chat_member.new_chat_member.status ("kicked" = blocked)
};

// Longest message text the bot reads; longer texts are cut there (Telegram's own limit is
// 4096 characters, but nothing stops a forged update from carrying megabytes).
inline constexpr std::size_t kMaxTextBytes = 4096;

// Parses a webhook body. Throws Failure(kUsage, field "body") when it is not a JSON object
// with a non-negative integer update_id. Members of unexpected types are treated as
// absent, never as errors: Telegram adds fields over time, and the bot must keep working.
Update parse_update(std::string_view body);

// A command in a message text: "/key  My Phone" → {"key", "My Phone"}.
struct Command {
  std::string name;  // lower case, without the slash and the @botname
  std::string args;  // the rest of the text, trimmed; may be empty
};

// The command in TEXT, or nullopt when TEXT is not a command ("hello", "/", "/ key") or is
// addressed to another bot ("/key@OtherBot"). BOT_USERNAME (without '@', compared
// case-insensitively) may be empty: then any "@name" suffix is accepted, as in a private
// chat every command is for this bot. Names are 1 to 32 characters of [A-Za-z0-9_].
std::optional<Command> parse_command(std::string_view text, std::string_view bot_username);

// The language of the message templates for a Telegram language_code, among AVAILABLE
// (the template sets installed): "ru", "ru-RU", "RU" → "ru" when "ru" is available;
// anything else (or empty) → "en".
std::string choose_language(std::string_view language_code, const std::vector<std::string>& available);

// A device name from user input, checked against the devices table's rule
// ([A-Za-z0-9][A-Za-z0-9 ._-]{0,63}); nullopt when it does not fit.
std::optional<std::string> valid_device_name(std::string_view text);

// A callback_data value of the bot's own keyboards: "key", "devices", "usage", "help",
// "revoke:<device id>". Anything else (forged or stale) → nullopt.
std::optional<Command> parse_callback(std::string_view data);

}  // namespace httvps::telegram
