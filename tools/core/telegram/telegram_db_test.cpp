#include <catch2/catch.hpp>
#include <ctime>

#include "core/admin/resource_ops.hpp"
#include "core/telegram/bot.hpp"
#include "core/testing/test_db.hpp"

using namespace httvps;
using httvps::testing::TestDb;

namespace {

std::int64_t now() { return static_cast<std::int64_t>(std::time(nullptr)); }

telegram::Settings settings(const std::string& trial_plan = "trial") {
  telegram::Settings s;
  s.templates_dir = HTTVPS_SOURCE_DIR "/templates/messages";
  s.trial_plan = trial_plan;
  s.chat_rate_limit = 100;
  return s;
}

// A private text message from Telegram user 111.
telegram::Update message(std::int64_t update_id, const std::string& text, std::int64_t from = 111,
                         const std::string& chat_type = "private") {
  telegram::Update u;
  u.update_id = update_id;
  u.kind = telegram::UpdateKind::kMessage;
  u.type = "message";
  u.chat_id = chat_type == "private" ? from : -100;
  u.chat_type = chat_type;
  u.from_id = from;
  u.language_code = "en";
  u.text = text;
  return u;
}

void seed(Context& ctx) {
  admin::create_record(ctx, admin::resource("plan"),
                       {{"name", "trial"}, {"data_limit", "1GB"}, {"duration", "7d"}, {"device_limit", "2"}});
  admin::create_record(ctx, admin::resource("region"), {{"name", "eu"}});
  admin::create_record(ctx, admin::resource("node"),
                       {{"name", "fra-1"}, {"region", "eu"}, {"host", "127.0.0.1"}, {"port", "8388"}});
}

std::string text_of(const telegram::Reply& r) { return r.method.is_null() ? "" : r.method.value("text", ""); }

std::int64_t count(TestDb& t, const std::string& query, const db::Params& params) {
  auto conn = t.connect();
  return conn.exec(query, params).size();
}

}  // namespace

TEST_CASE("telegram /start without a trial plan creates nothing and names the Telegram id", "[telegram][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(ctx);
  auto r = telegram::handle_update(ctx, settings(""), message(1, "/start"), now());
  CHECK(text_of(r).find("111") != std::string::npos);
  CHECK(count(t, "telegram_user", {111LL}) == 0);
}

TEST_CASE("telegram /start signs a user up on the trial plan once and /key /devices /usage /revoke work", "[telegram][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(ctx);
  auto s = settings();
  auto r = telegram::handle_update(ctx, s, message(1, "/start"), now());
  CHECK(text_of(r).find("tg111") != std::string::npos);
  CHECK(text_of(r).find("online") != std::string::npos);
  CHECK(r.method["reply_markup"]["inline_keyboard"].size() == 2);
  REQUIRE(count(t, "telegram_user", {111LL}) == 1);
  r = telegram::handle_update(ctx, s, message(2, "/start"), now());
  CHECK(text_of(r).find("Welcome back") != std::string::npos);

  r = telegram::handle_update(ctx, s, message(3, "/key My Phone"), now());
  CHECK(text_of(r).find("/api/v1/sub/hts_") != std::string::npos);
  CHECK(text_of(r).find("ss://") != std::string::npos);
  auto conn = t.connect();
  CHECK(conn.exec("device_list", {"tg111", "active", 100LL, 0LL}).size() == 1);
  CHECK(conn.exec("audit_list", {"device", "telegram:111", 10LL, 0LL}).size() == 1);

  // Telegram delivers the same update again: it is not acted on twice.
  r = telegram::handle_update(ctx, s, message(3, "/key My Phone"), now());
  CHECK(r.ignored == "duplicate");
  CHECK(conn.exec("device_list", {"tg111", "active", 100LL, 0LL}).size() == 1);

  r = telegram::handle_update(ctx, s, message(4, "/key"), now());
  CHECK(text_of(r).find("device-1") != std::string::npos);
  r = telegram::handle_update(ctx, s, message(5, "/key third"), now());
  CHECK(text_of(r).find("no more devices") != std::string::npos);
  CHECK(r.method["reply_markup"]["inline_keyboard"].size() == 2);  // one revoke button per device

  r = telegram::handle_update(ctx, s, message(6, "/devices"), now());
  CHECK(text_of(r).find("My Phone") != std::string::npos);
  CHECK(text_of(r).find("device-1") != std::string::npos);
  r = telegram::handle_update(ctx, s, message(7, "/usage"), now());
  CHECK(text_of(r).find("of 953.67 MiB") != std::string::npos);

  r = telegram::handle_update(ctx, s, message(8, "/revoke My Phone"), now());
  CHECK(text_of(r).find("switched off") != std::string::npos);
  CHECK(conn.exec("device_list", {"tg111", "active", 100LL, 0LL}).size() == 1);
  r = telegram::handle_update(ctx, s, message(9, "/revoke nothing-here"), now());
  CHECK(text_of(r).find("no active device") != std::string::npos);
}

TEST_CASE("telegram ignores groups edits bots and other bots' commands and answers the rest", "[telegram][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(ctx);
  auto s = settings();
  s.bot_username = "HttvpsBot";
  CHECK(telegram::handle_update(ctx, s, message(1, "/start", 111, "group"), now()).ignored == "not a private chat");
  auto edited = message(2, "/start");
  edited.kind = telegram::UpdateKind::kEditedMessage;
  CHECK(telegram::handle_update(ctx, s, edited, now()).ignored == "edited message");
  auto bot = message(3, "/start");
  bot.from_bot = true;
  CHECK(telegram::handle_update(ctx, s, bot, now()).ignored == "sent by a bot");
  CHECK(telegram::handle_update(ctx, s, message(4, "/start@OtherBot"), now()).ignored == "a command for another bot");
  CHECK(text_of(telegram::handle_update(ctx, s, message(5, "/start@HttvpsBot"), now())).find("tg111") != std::string::npos);
  CHECK(text_of(telegram::handle_update(ctx, s, message(6, "hello"), now())).find("/help") != std::string::npos);
  auto sticker = message(7, "");
  sticker.text.reset();
  CHECK(text_of(telegram::handle_update(ctx, s, sticker, now())).find("text commands") != std::string::npos);
  CHECK(count(t, "telegram_user", {111LL}) == 1);
  CHECK(text_of(telegram::handle_update(ctx, s, message(8, "/usage", 222), now())).find("/start") != std::string::npos);
}

TEST_CASE("telegram callback buttons run their commands and forged revoke ids touch nothing", "[telegram][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(ctx);
  auto s = settings();
  telegram::handle_update(ctx, s, message(1, "/start"), now());
  telegram::handle_update(ctx, s, message(2, "/start", 222), now());
  telegram::handle_update(ctx, s, message(3, "/key laptop", 222), now());
  auto conn = t.connect();
  auto other = conn.exec("device_list", {"tg222", "active", 100LL, 0LL});
  REQUIRE(other.size() == 1);
  const std::string foreign_id = std::to_string(other[0].int64("id"));

  auto press = [&](std::int64_t id, const std::string& data) {
    telegram::Update u = message(id, "");
    u.kind = telegram::UpdateKind::kCallbackQuery;
    u.text.reset();
    u.callback_id = "cb" + std::to_string(id);
    u.callback_data = data;
    return telegram::handle_update(ctx, s, u, now());
  };
  CHECK(text_of(press(4, "usage")).find("Plan: trial") != std::string::npos);
  CHECK(text_of(press(5, "revoke:" + foreign_id)).find("no active device") != std::string::npos);
  CHECK(conn.exec("device_list", {"tg222", "active", 100LL, 0LL}).size() == 1);
  CHECK(press(6, "drop table").ignored == "unknown button");
  CHECK(text_of(press(7, "key")).find("device-1") != std::string::npos);
  auto mine = conn.exec("device_list", {"tg111", "active", 100LL, 0LL});
  REQUIRE(mine.size() == 1);
  CHECK(text_of(press(8, "revoke:" + std::to_string(mine[0].int64("id")))).find("switched off") != std::string::npos);
}

TEST_CASE("telegram answers a chat over its rate limit once then stays silent", "[telegram][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(ctx);
  auto s = settings();
  s.chat_rate_limit = 3;
  const std::int64_t at = now() - now() % 60 + 5;  // all inside one window
  for (int i = 1; i <= 3; ++i) CHECK_FALSE(telegram::handle_update(ctx, s, message(i, "/help"), at).method.is_null());
  CHECK(text_of(telegram::handle_update(ctx, s, message(4, "/help"), at)).find("wait a minute") != std::string::npos);
  CHECK(telegram::handle_update(ctx, s, message(5, "/help"), at).ignored == "rate limited");
  CHECK_FALSE(telegram::handle_update(ctx, s, message(6, "/help", 333), at).method.is_null());
}
