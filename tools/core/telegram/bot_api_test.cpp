#include "core/telegram/bot_api.hpp"

#include <httplib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "core/qr.hpp"
#include "core/testing/failure.hpp"

using namespace httvps::telegram;
using httvps::ExitCode;
using httvps::testing::code_of;

namespace {

// A stand-in Bot API on a free loopback port, in a thread, for one test.
class FakeApi {
 public:
  FakeApi() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeApi() {
    server_.stop();
    thread_.join();
  }
  httplib::Server& server() { return server_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace

TEST_CASE("api_failure maps Bot API errors onto the exit-code table", "[telegram]") {
  struct Case {
    int status;
    const char* body;
    ExitCode code;
  };
  const Case cases[] = {
      {401, R"({"ok":false,"error_code":401,"description":"Unauthorized"})", ExitCode::kUnauthorized},
      {404, R"({"ok":false,"error_code":404,"description":"Not Found"})", ExitCode::kUnauthorized},
      {400, R"({"ok":false,"error_code":400,"description":"Bad Request: bad webhook"})", ExitCode::kUsage},
      {403, R"({"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"})", ExitCode::kForbidden},
      {429, R"({"ok":false,"error_code":429,"parameters":{"retry_after":7}})", ExitCode::kRateLimited},
      {502, R"({"ok":false})", ExitCode::kTempFail},
      {200, "[]", ExitCode::kTempFail},
  };
  for (const auto& c : cases) {
    INFO(c.body);
    httvps::Failure f = api_failure("setWebhook", c.status, nlohmann::json::parse(c.body));
    CHECK(f.code() == c.code);
    CHECK(std::string(f.what()).find("setWebhook") != std::string::npos);
  }
  CHECK(api_failure("x", 429, nlohmann::json::parse(R"({"parameters":{"retry_after":7}})")).retry_after() == 7);
}

TEST_CASE("BotApi posts JSON to <base>/bot<token>/<method> and returns the result", "[telegram]") {
  FakeApi api;
  std::string seen_path;
  nlohmann::json seen_body;
  api.server().Post(R"(/prefix/bot(.+)/(\w+))", [&](const httplib::Request& req, httplib::Response& res) {
    seen_path = req.path;
    seen_body = nlohmann::json::parse(req.body);
    res.set_content(R"({"ok":true,"result":true})", "application/json");
  });
  BotApi bot({api.url() + "/prefix/", "123:secret-token", 2000});
  CHECK(bot.call("setWebhook", {{"url", "https://x"}}) == true);
  CHECK(seen_path == "/prefix/bot123:secret-token/setWebhook");
  CHECK(seen_body["url"] == "https://x");
}

TEST_CASE("BotApi uploads the QR code as a multipart photo", "[telegram]") {
  FakeApi api;
  std::string photo;
  std::string chat;
  api.server().Post(R"(/bot(.+)/sendPhoto)", [&](const httplib::Request& req, httplib::Response& res) {
    photo = req.get_file_value("photo").content;
    chat = req.get_file_value("chat_id").content;
    res.set_content(R"({"ok":true,"result":{"message_id":1}})", "application/json");
  });
  std::string png = httvps::render_qr_png("http://127.0.0.1/api/v1/sub/hts_x");
  BotApi({api.url(), "1:t", 2000}).send_photo(42, png, "caption");
  CHECK(chat == "42");
  CHECK(photo == png);
  CHECK(photo.substr(1, 3) == "PNG");
}

TEST_CASE("BotApi failures never show the token", "[telegram]") {
  FakeApi api;
  api.server().Post(R"(/bot(.+)/(\w+))", [](const httplib::Request&, httplib::Response& res) {
    res.status = 401;
    res.set_content(R"({"ok":false,"error_code":401,"description":"Unauthorized"})", "application/json");
  });
  try {
    BotApi({api.url(), "999:very-secret", 2000}).call("getMe", nlohmann::json::object());
    FAIL("no failure");
  } catch (const httvps::Failure& f) {
    CHECK(f.code() == ExitCode::kUnauthorized);
    CHECK(std::string(f.what()).find("very-secret") == std::string::npos);
  }
}

TEST_CASE("BotApi gives up on an unreachable or silent API within its timeout", "[telegram]") {
  int port = 0;
  {
    FakeApi gone;  // a port that was free a moment ago, now closed
    port = std::stoi(gone.url().substr(gone.url().rfind(':') + 1));
  }
  CHECK(code_of([&] { BotApi({"http://127.0.0.1:" + std::to_string(port), "1:t", 500}).call("getMe", {}); }) ==
        ExitCode::kTempFail);
  FakeApi slow;
  slow.server().Post(R"(/bot(.+)/(\w+))", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    res.set_content(R"({"ok":true,"result":true})", "application/json");
  });
  auto start = std::chrono::steady_clock::now();
  CHECK(code_of([&] { BotApi({slow.url(), "1:t", 300}).call("getMe", {}); }) == ExitCode::kTempFail);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(1400));
  CHECK(code_of([] { BotApi({"ftp://x", "1:t", 300}); }) == ExitCode::kConfig);
  CHECK(code_of([] { BotApi({"https://api.telegram.org", "", 300}); }) == ExitCode::kConfig);
}

TEST_CASE("render_qr_png writes a valid 1-bit PNG of the code", "[telegram][qr]") {
  std::string png = httvps::render_qr_png("hello", 2);
  REQUIRE(png.size() > 60);
  CHECK(png.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
  CHECK(png.substr(12, 4) == "IHDR");
  // 21 modules + 2 * 4 quiet = 29 modules, 2 px each
  CHECK(static_cast<unsigned char>(png[19]) == 58);
  CHECK(png.substr(png.size() - 8, 4) == "IEND");
  CHECK(code_of([] { httvps::render_qr_png("x", 0); }) == ExitCode::kUsage);
}
