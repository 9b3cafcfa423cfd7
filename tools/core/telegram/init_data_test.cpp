#include "core/telegram/init_data.hpp"

#include <catch2/catch.hpp>

#include "core/crypto.hpp"
#include "core/testing/failure.hpp"

using namespace httvps::telegram;
using httvps::ExitCode;
using httvps::testing::code_of;

namespace {

const std::string kToken = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11";
constexpr std::int64_t kNow = 1800000000;

std::string sample(std::int64_t auth_date = kNow - 60, const std::string& token = kToken) {
  return sign_init_data({{"query_id", "AAHdF6IQAAAAAN0XohDhrOrc"},
                         {"user", R"({"id":279058397,"first_name":"Vladislav","language_code":"ru"})"},
                         {"auth_date", std::to_string(auth_date)}},
                        token);
}

}  // namespace

TEST_CASE("a correctly signed initData passes and names the user", "[telegram]") {
  WebAppUser u = validate_init_data(sample(), kToken, kNow, 86400);
  CHECK(u.id == 279058397);
  CHECK(u.language_code == "ru");
  CHECK(u.auth_date == kNow - 60);
}

TEST_CASE("initData is checked against Telegram's published algorithm", "[telegram]") {
  // Built by hand from the documentation, independently of sign_init_data().
  const std::string check = "auth_date=1700000000\nuser={\"id\":5}";
  const std::string secret = httvps::crypto::hmac_sha256("WebAppData", kToken);
  const std::string hash = httvps::crypto::hex_encode(httvps::crypto::hmac_sha256(secret, check));
  const std::string data = "user=%7B%22id%22%3A5%7D&auth_date=1700000000&hash=" + hash;
  CHECK(validate_init_data(data, kToken, 1700000100, 3600).id == 5);
}

TEST_CASE("tampered foreign stale or malformed initData is refused as unauthorized", "[telegram]") {
  const std::string good = sample();
  std::vector<std::pair<std::string, std::string>> cases;
  for (std::size_t i = 0; i < good.size(); i += 7) {  // one changed byte anywhere
    std::string bad = good;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    cases.emplace_back("byte " + std::to_string(i), bad);
  }
  cases.emplace_back("signed with another token", sample(kNow - 60, "654321:other"));
  cases.emplace_back("older than the limit", sample(kNow - 86401));
  cases.emplace_back("from the future", sample(kNow + 3600));
  cases.emplace_back("no hash", good.substr(0, good.find("&hash=")));
  cases.emplace_back("a field repeated", good + "&auth_date=1");
  cases.emplace_back("empty", "");
  cases.emplace_back("bad escape", "user=%zz&hash=00");
  cases.emplace_back("no user", sign_init_data({{"auth_date", std::to_string(kNow)}}, kToken));
  cases.emplace_back("a user without an id", sign_init_data({{"auth_date", std::to_string(kNow)}, {"user", "{}"}}, kToken));
  cases.emplace_back("no auth_date", sign_init_data({{"user", R"({"id":1})"}}, kToken));
  for (const auto& [what, data] : cases) {
    INFO(what);
    CHECK(code_of([&] { validate_init_data(data, kToken, kNow, 86400); }) == ExitCode::kUnauthorized);
  }
}
