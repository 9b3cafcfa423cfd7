#include "core/telegram/update.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace httvps::telegram {
namespace {

using nlohmann::json;

// Member NAME of OBJ when it is an object, else nullptr: forged updates may put anything
// anywhere, and a wrong type must read as "absent".
const json* member(const json* obj, const char* name) {
  if (obj == nullptr || !obj->is_object()) return nullptr;
  auto it = obj->find(name);
  return it == obj->end() ? nullptr : &*it;
}

std::optional<std::int64_t> int_of(const json* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_number_integer()) return v->get<std::int64_t>();
  if (v->is_number_unsigned() && v->get<std::uint64_t>() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(v->get<std::uint64_t>());
  }
  return std::nullopt;
}

std::string string_of(const json* v, std::size_t max = 256) {
  if (v == nullptr || !v->is_string()) return {};
  const auto& s = v->get_ref<const std::string&>();
  return s.substr(0, std::min(s.size(), max));
}

// Cuts TEXT to at most MAX bytes without splitting a UTF-8 sequence.
std::string cut_utf8(const std::string& text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

void read_sender(Update& u, const json* from) {
  u.from_id = int_of(member(from, "id"));
  u.from_username = string_of(member(from, "username"), 64);
  u.language_code = string_of(member(from, "language_code"), 16);
  if (const json* b = member(from, "is_bot"); b != nullptr && b->is_boolean()) u.from_bot = b->get<bool>();
}

void read_chat(Update& u, const json* chat) {
  u.chat_id = int_of(member(chat, "id"));
  u.chat_type = string_of(member(chat, "type"), 32);
}

void read_message(Update& u, const json* msg) {
  read_chat(u, member(msg, "chat"));
  read_sender(u, member(msg, "from"));
  const json* text = member(msg, "text");
  if (text == nullptr || !text->is_string()) text = member(msg, "caption");
  if (text != nullptr && text->is_string()) u.text = cut_utf8(text->get<std::string>(), kMaxTextBytes);
}

std::string trim(std::string_view s) {
  std::size_t b = 0;
  std::size_t e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

}  // namespace

std::string_view kind_name(UpdateKind kind) {
  switch (kind) {
    case UpdateKind::kMessage: return "message";
    case UpdateKind::kEditedMessage: return "edited_message";
    case UpdateKind::kCallbackQuery: return "callback_query";
    case UpdateKind::kMyChatMember: return "my_chat_member";
    case UpdateKind::kOther: return "other";
  }
  return "other";
}

Update parse_update(std::string_view body) {
  json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) throw usage_error("request body is not valid JSON", "body");
  if (!doc.is_object()) throw usage_error("an update must be a JSON object", "body");
  Update u;
  auto id = int_of(member(&doc, "update_id"));
  if (!id || *id < 0) throw usage_error("an update needs a non-negative integer update_id", "update_id");
  u.update_id = *id;
  // An update carries exactly one optional member besides update_id; take the first known.
  for (const auto& [key, value] : doc.items()) {
    if (key == "update_id") continue;
    if (u.type.empty()) u.type = key.substr(0, 64);
    if (key == "message") {
      u.kind = UpdateKind::kMessage;
      read_message(u, &value);
      u.type = key;
      break;
    }
    if (key == "edited_message") {
      u.kind = UpdateKind::kEditedMessage;
      read_message(u, &value);
      u.type = key;
      break;
    }
    if (key == "callback_query") {
      u.kind = UpdateKind::kCallbackQuery;
      u.type = key;
      read_sender(u, member(&value, "from"));
      read_chat(u, member(member(&value, "message"), "chat"));
      u.callback_id = string_of(member(&value, "id"), 128);
      u.callback_data = string_of(member(&value, "data"), 64);
      break;
    }
    if (key == "my_chat_member") {
      u.kind = UpdateKind::kMyChatMember;
      u.type = key;
      read_sender(u, member(&value, "from"));
      read_chat(u, member(&value, "chat"));
      u.member_status = string_of(member(member(&value, "new_chat_member"), "status"), 32);
      break;
    }
  }
  if (u.type.empty()) u.type = "none";
  return u;
}

std::optional<Command> parse_command(std::string_view text, std::string_view bot_username) {
  if (text.empty() || text.front() != '/') return std::nullopt;
  std::size_t i = 1;
  while (i < text.size() && is_word_char(text[i])) ++i;
  const std::size_t name_len = i - 1;
  if (name_len == 0 || name_len > 32) return std::nullopt;
  Command cmd;
  cmd.name = lower(text.substr(1, name_len));
  if (i < text.size() && text[i] == '@') {
    std::size_t j = i + 1;
    while (j < text.size() && is_word_char(text[j])) ++j;
    std::string addressee = lower(text.substr(i + 1, j - i - 1));
    if (addressee.empty()) return std::nullopt;
    if (!bot_username.empty() && addressee != lower(bot_username)) return std::nullopt;
    i = j;
  }
  // The command must end at whitespace or the end of the text: "/key-x" is not /key.
  if (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) return std::nullopt;
  cmd.args = trim(text.substr(i));
  return cmd;
}

std::string choose_language(std::string_view language_code, const std::vector<std::string>& available) {
  std::string code = lower(language_code.substr(0, language_code.find_first_of("-_")));
  if (!code.empty() && std::find(available.begin(), available.end(), code) != available.end()) return code;
  return "en";
}

std::optional<std::string> valid_device_name(std::string_view text) {
  std::string name = trim(text);
  if (name.empty() || name.size() > 64) return std::nullopt;
  if (!std::isalnum(static_cast<unsigned char>(name.front()))) return std::nullopt;
  for (char c : name) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == ' ' || c == '.' || c == '_' || c == '-';
    if (!ok || static_cast<unsigned char>(c) >= 0x80) return std::nullopt;
  }
  return name;
}

std::optional<Command> parse_callback(std::string_view data) {
  for (std::string_view plain : {"key", "devices", "usage", "help"}) {
    if (data == plain) return Command{std::string(plain), ""};
  }
  constexpr std::string_view kRevoke = "revoke:";
  if (data.starts_with(kRevoke)) {
    std::string_view id = data.substr(kRevoke.size());
    if (id.empty() || id.size() > 18) return std::nullopt;
    for (char c : id) {
      if (c < '0' || c > '9') return std::nullopt;
    }
    return Command{"revoke", std::string(id)};
  }
  return std::nullopt;
}

}  // namespace httvps::telegram
