#include "core/telegram/views.hpp"

#include <catch2/catch.hpp>

using namespace httvps::telegram;

namespace {

Messages english() { return Messages(HTTVPS_SOURCE_DIR "/templates/messages", "en"); }

}  // namespace

TEST_CASE("render fills known placeholders and leaves the rest alone", "[telegram]") {
  const Vars vars = {{"name", "phone"}, {"used", "1.00 GiB"}, {"evil", "{name}"}};
  const std::pair<const char*, const char*> cases[] = {
      {"{name}: {used}", "phone: 1.00 GiB"},
      {"{unknown} stays", "{unknown} stays"},
      {"{} {", "{} {"},
      {"{name", "{name"},
      {"{evil}", "{name}"},  // values are not re-scanned
      {"no placeholders", "no placeholders"},
      {"", ""},
  };
  for (const auto& [tmpl, want] : cases) {
    INFO(tmpl);
    CHECK(render(tmpl, vars) == want);
  }
}

TEST_CASE("next_device_name takes the first free device-N", "[telegram]") {
  CHECK(next_device_name({}) == "device-1");
  CHECK(next_device_name({"phone"}) == "device-1");
  CHECK(next_device_name({"device-1", "device-3"}) == "device-2");
  CHECK(next_device_name({"device-1", "device-2"}) == "device-3");
}

TEST_CASE("usage_vars shows used remaining and expiry in words people read", "[telegram]") {
  Messages m = english();
  struct Case {
    UsageFacts facts;
    const char* limit;
    const char* remaining;
    const char* expires;
  };
  UsageFacts limited{"basic", "active", 1073741824, 10737418240, 1798761600, true, {}};
  UsageFacts over{"basic", "limited", 20000000000, 10000000000, std::nullopt, true, {}};
  UsageFacts unlimited{"free", "active", 0, std::nullopt, std::nullopt, true, {}};
  UsageFacts on_hold{"trial", "on_hold", 0, 1000, std::nullopt, false, {}};
  const Case cases[] = {
      {limited, "10.00 GiB", "9.00 GiB", "2027-01-01 00:00 UTC"},
      {over, "9.31 GiB", "0 B", "never"},
      {unlimited, "unlimited", "unlimited", "never"},
      {on_hold, "1000 B", "1000 B", "on first connection"},
  };
  for (const auto& c : cases) {
    INFO(c.facts.plan << " " << c.facts.status);
    Vars v = usage_vars(c.facts, m);
    CHECK(v["limit"] == c.limit);
    CHECK(v["remaining"] == c.remaining);
    CHECK(v["expires"] == c.expires);
    CHECK(v["devices"] == m.text("usage_no_devices"));
  }
  UsageFacts with_devices = limited;
  with_devices.devices = {{1, "phone", "eu", std::nullopt, 1024}, {2, "laptop", "", 1798761600, 0}};
  Vars v = usage_vars(with_devices, m);
  CHECK(v["devices"].find("phone") != std::string::npos);
  CHECK(v["devices"].find("1.00 KiB") != std::string::npos);
  CHECK(v["devices"].find("laptop") != std::string::npos);
}

TEST_CASE("links_text lists the links a key has in a fixed order", "[telegram]") {
  Messages m = english();
  nlohmann::json links = {{"httvps_uri", "httvps://t@h:443"}, {"subscription_url", "http://x/api/v1/sub/hts_1"},
                          {"ss_link", "ss://abc@h:1#x"}};
  std::string text = links_text(links, m);
  CHECK(text.find("http://x/api/v1/sub/hts_1") < text.find("ss://abc@h:1#x"));
  CHECK(text.find("ss://abc@h:1#x") < text.find("httvps://t@h:443"));
  CHECK(text.find("vless") == std::string::npos);
  CHECK(links_text(nlohmann::json::object(), m).empty());
}

TEST_CASE("send_message cuts text to 4096 UTF-16 units and attaches the keyboard", "[telegram]") {
  auto method = send_message(7, std::string(5000, 'x'), nullptr);
  CHECK(method["method"] == "sendMessage");
  CHECK(method["chat_id"] == 7);
  CHECK(method["text"].get<std::string>().size() == 4096);
  CHECK_FALSE(method.contains("reply_markup"));
  std::string cyrillic;
  for (int i = 0; i < 5000; ++i) cyrillic += "\xd0\xb6";  // ж: 2 bytes, 1 unit
  CHECK(send_message(7, cyrillic, nullptr)["text"].get<std::string>().size() == 4096 * 2);
  std::string emoji;
  for (int i = 0; i < 3000; ++i) emoji += "\xf0\x9f\x98\x80";  // 😀: 4 bytes, 2 units
  CHECK(send_message(7, emoji, nullptr)["text"].get<std::string>().size() == 2048 * 4);
  Messages m = english();
  auto with_keyboard = send_message(7, "hi", main_keyboard(m, "https://app.example/"));
  auto rows = with_keyboard["reply_markup"]["inline_keyboard"];
  CHECK(rows.size() == 3);
  CHECK(rows[0][0]["callback_data"] == "key");
  CHECK(rows[2][0]["web_app"]["url"] == "https://app.example/");
  CHECK(main_keyboard(m, "")["inline_keyboard"].size() == 2);
  CHECK(send_message(7, "", nullptr)["text"] == "…");
}

TEST_CASE("revoke_keyboard offers one button per device at most 20", "[telegram]") {
  Messages m = english();
  std::vector<DeviceFacts> many;
  for (int i = 1; i <= 25; ++i) many.push_back({i, "d" + std::to_string(i), "", std::nullopt, 0});
  auto kb = revoke_keyboard(many, m);
  CHECK(kb["inline_keyboard"].size() == 20);
  CHECK(kb["inline_keyboard"][0][0]["callback_data"] == "revoke:1");
}

TEST_CASE("Russian users get Russian templates others English missing ones fall back", "[telegram]") {
  Messages ru(HTTVPS_SOURCE_DIR "/templates/messages", "ru-RU");
  CHECK(ru.language() == "ru");
  CHECK(ru.text("help") != english().text("help"));
  Messages de(HTTVPS_SOURCE_DIR "/templates/messages", "de");
  CHECK(de.language() == "en");
  CHECK_THROWS(english().text("no_such_template"));
}
