#include "core/telegram/update.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/testing/failure.hpp"

using namespace httvps::telegram;
using httvps::testing::code_of;

TEST_CASE("parse_command reads commands @botname arguments and refuses what is not one", "[telegram]") {
  struct Case {
    const char* text;
    const char* bot;
    bool is_command;
    const char* name;
    const char* args;
  };
  const Case cases[] = {
      {"/start", "", true, "start", ""},
      {"/key My Phone", "", true, "key", "My Phone"},
      {"/key   padded name  ", "", true, "key", "padded name"},
      {"/KEY phone", "", true, "key", "phone"},
      {"/key@HttvpsBot phone", "httvpsbot", true, "key", "phone"},
      {"/key@httvpsbot", "HttvpsBot", true, "key", ""},
      {"/key@OtherBot phone", "HttvpsBot", false, "", ""},
      {"/key@AnyBot phone", "", true, "key", "phone"},
      {"/key@ phone", "", false, "", ""},
      {"/revoke\nlaptop", "", true, "revoke", "laptop"},
      {"hello", "", false, "", ""},
      {"", "", false, "", ""},
      {"/", "", false, "", ""},
      {"/ key", "", false, "", ""},
      {"/key-x", "", false, "", ""},
      {"/абв", "", false, "", ""},
      {"/a_very_long_command_name_that_exceeds_32", "", false, "", ""},
      {"/usage_2", "", true, "usage_2", ""},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto cmd = parse_command(c.text, c.bot);
    REQUIRE(cmd.has_value() == c.is_command);
    if (cmd) {
      CHECK(cmd->name == c.name);
      CHECK(cmd->args == c.args);
    }
  }
}

TEST_CASE("choose_language picks an installed template set and falls back to English", "[telegram]") {
  const std::vector<std::string> installed = {"en", "ru"};
  const std::pair<const char*, const char*> cases[] = {
      {"ru", "ru"}, {"ru-RU", "ru"}, {"RU", "ru"}, {"ru_RU", "ru"}, {"en", "en"}, {"en-GB", "en"},
      {"de", "en"}, {"", "en"},      {"-", "en"},  {"r", "en"},     {"rus", "en"},
  };
  for (const auto& [code, want] : cases) {
    INFO(code);
    CHECK(choose_language(code, installed) == want);
  }
  CHECK(choose_language("ru", {"en"}) == "en");
}

TEST_CASE("valid_device_name accepts what the devices table accepts trimmed", "[telegram]") {
  CHECK(valid_device_name("phone") == "phone");
  CHECK(valid_device_name("  My Phone 2 ") == "My Phone 2");
  CHECK(valid_device_name("a.b_c-d") == "a.b_c-d");
  CHECK(valid_device_name(std::string(64, 'x')) == std::string(64, 'x'));
  CHECK_FALSE(valid_device_name(std::string(65, 'x')));
  CHECK_FALSE(valid_device_name(""));
  CHECK_FALSE(valid_device_name("-phone"));
  CHECK_FALSE(valid_device_name("phone'; DROP TABLE devices"));
  CHECK_FALSE(valid_device_name("телефон"));
  CHECK_FALSE(valid_device_name("tab\there"));
}

TEST_CASE("parse_callback knows only the bot's own buttons", "[telegram]") {
  CHECK(parse_callback("key")->name == "key");
  CHECK(parse_callback("usage")->name == "usage");
  auto revoke = parse_callback("revoke:42");
  REQUIRE(revoke);
  CHECK(revoke->name == "revoke");
  CHECK(revoke->args == "42");
  for (const char* bad : {"", "revoke:", "revoke:x", "revoke:-1", "revoke:1234567890123456789", "start", "KEY", "key "}) {
    INFO(bad);
    CHECK_FALSE(parse_callback(bad));
  }
}

TEST_CASE("parse_update reduces every update shape to its facts", "[telegram]") {
  SECTION("a private text message") {
    auto u = parse_update(R"({"update_id":10,"message":{"message_id":1,"date":1,"text":"/start",
      "chat":{"id":111,"type":"private"},"from":{"id":111,"is_bot":false,"first_name":"A","language_code":"ru"}}})");
    CHECK(u.update_id == 10);
    CHECK(u.kind == UpdateKind::kMessage);
    CHECK(u.chat_id == 111);
    CHECK(u.chat_type == "private");
    CHECK(u.from_id == 111);
    CHECK(u.language_code == "ru");
    CHECK(u.text == "/start");
  }
  SECTION("a photo with a caption reads the caption; a sticker has no text") {
    auto u = parse_update(R"({"update_id":1,"message":{"caption":"/help","chat":{"id":1,"type":"private"}}})");
    CHECK(u.text == "/help");
    auto s = parse_update(R"({"update_id":1,"message":{"sticker":{},"chat":{"id":1,"type":"private"}}})");
    CHECK_FALSE(s.text);
  }
  SECTION("an edited message, a callback query, my_chat_member and an unknown type") {
    CHECK(parse_update(R"({"update_id":1,"edited_message":{"text":"x"}})").kind == UpdateKind::kEditedMessage);
    auto cb = parse_update(R"({"update_id":2,"callback_query":{"id":"77","data":"usage","from":{"id":5},
      "message":{"chat":{"id":5,"type":"private"}}}})");
    CHECK(cb.kind == UpdateKind::kCallbackQuery);
    CHECK(cb.callback_id == "77");
    CHECK(cb.callback_data == "usage");
    CHECK(cb.chat_id == 5);
    auto m = parse_update(R"({"update_id":3,"my_chat_member":{"chat":{"id":5,"type":"private"},"from":{"id":5},
      "new_chat_member":{"status":"kicked","user":{"id":9}}}})");
    CHECK(m.kind == UpdateKind::kMyChatMember);
    CHECK(m.member_status == "kicked");
    auto other = parse_update(R"({"update_id":4,"poll":{"id":"1"}})");
    CHECK(other.kind == UpdateKind::kOther);
    CHECK(other.type == "poll");
    CHECK(parse_update(R"({"update_id":5})").type == "none");
  }
  SECTION("members of the wrong type read as absent") {
    auto u = parse_update(R"({"update_id":1,"message":{"text":5,"chat":{"id":"x","type":7},"from":[]}})");
    CHECK(u.kind == UpdateKind::kMessage);
    CHECK_FALSE(u.text);
    CHECK_FALSE(u.chat_id);
    CHECK_FALSE(u.from_id);
    CHECK(u.chat_type.empty());
  }
  SECTION("a very long text is cut on a character boundary") {
    std::string text(5000, 'a');
    text.replace(4095, 2, "\xc3\xa9");  // é straddles the limit
    auto u = parse_update(nlohmann::json{{"update_id", 1}, {"message", {{"text", text}}}}.dump());
    REQUIRE(u.text);
    CHECK(u.text->size() == 4095);
  }
}

TEST_CASE("parse_update refuses what is not an update with a usage error", "[telegram]") {
  for (const char* bad : {"", "{", "[]", "null", "{}", R"({"update_id":"1"})", R"({"update_id":-1})",
                          R"({"update_id":1.5})", "{\"update_id\":1,\"message\":\"\xff\"}"}) {
    INFO(bad);
    CHECK(code_of([&] { parse_update(bad); }) == httvps::ExitCode::kUsage);
  }
}
