#include "core/keys/tokens.hpp"

#include <catch2/catch.hpp>

#include "core/error.hpp"

using namespace httvps::keys;

TEST_CASE("minted tokens carry their kind, a 12-character prefix and the hash of the whole", "[keys]") {
  MintedToken t = mint_token(kDeviceToken);
  CHECK(t.token.rfind("htv_", 0) == 0);
  CHECK(t.token.size() == 47);
  CHECK(t.prefix == t.token.substr(0, 12));
  CHECK(t.hash.size() == 64);
  CHECK(token_matches(t.token, t.hash));
  CHECK_FALSE(token_matches(t.token + "x", t.hash));
  CHECK(lookup_prefix(t.token, kDeviceToken, "token") == t.prefix);
}

TEST_CASE("presented tokens of the wrong shape are usage errors naming the field", "[keys]") {
  MintedToken t = mint_token(kDeviceToken);
  const std::string cases[] = {"", "htv_short", t.token + "a", "hts_" + t.token.substr(4), "htv_" + std::string(43, '!'),
                               "htv_" + std::string(42, 'a') + "'"};
  for (const auto& c : cases) {
    INFO(c);
    try {
      lookup_prefix(c, kDeviceToken, "token");
      FAIL("accepted");
    } catch (const httvps::Failure& f) {
      CHECK(f.code() == httvps::ExitCode::kUsage);
      CHECK(f.field() == "token");
    }
  }
}

TEST_CASE("Shadowsocks passwords are 22 base64url characters and do not repeat", "[keys]") {
  std::string a = mint_ss_password();
  CHECK(a.size() == 22);
  CHECK(a != mint_ss_password());
  CHECK(sealing_context(7, "shadowsocks") == "device_credentials:7:shadowsocks");
}
