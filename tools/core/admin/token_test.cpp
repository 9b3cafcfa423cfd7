#include <catch2/catch.hpp>

#include "core/admin/token.hpp"
#include "core/crypto.hpp"
#include "core/testing/failure.hpp"

using namespace httvps;
using namespace httvps::admin;
using httvps::testing::code_of;

namespace {

const std::string kKey = derive_token_key(std::string(32, 'k'));

TokenClaims claims(std::int64_t now) {
  TokenClaims c;
  c.subject = "alice";
  c.admin_id = 7;
  c.role = contract::Role::kOperator;
  c.epoch = 2;
  c.issued_at = now;
  c.expires_at = now + 900;
  c.id = "abcdefghijklmnopqrstuvwx";
  return c;
}

// Re-signs HEADER.CLAIMS with KEY, for forging tests.
std::string forge(const std::string& header, const std::string& body, const std::string& key) {
  std::string input = crypto::base64url_encode(header) + "." + crypto::base64url_encode(body);
  return input + "." + crypto::base64url_encode(crypto::hmac_sha256(key, input));
}

}  // namespace

TEST_CASE("a signed admin token verifies and carries its claims", "[token]") {
  std::string t = sign_token(claims(1000), kKey);
  CHECK(std::count(t.begin(), t.end(), '.') == 2);
  TokenClaims c = verify_token(t, kKey, 1500);
  CHECK(c.subject == "alice");
  CHECK(c.admin_id == 7);
  CHECK(c.role == contract::Role::kOperator);
  CHECK(c.epoch == 2);
  CHECK(c.expires_at == 1900);
  CHECK(c.id == "abcdefghijklmnopqrstuvwx");
}

TEST_CASE("admin tokens are refused when expired, tampered, forged or malformed", "[token]") {
  const std::string good = sign_token(claims(1000), kKey);
  const std::string header = R"({"alg":"HS256","typ":"JWT"})";
  const std::string body =
      R"({"sub":"alice","uid":7,"role":"owner","ep":2,"iat":1000,"exp":1900,"jti":"abcdefghijklmnopqrstuvwx"})";
  struct Case {
    const char* what;
    std::string token;
    std::int64_t now;
  };
  std::string tampered = good;
  tampered[tampered.find('.') + 5] ^= 1;
  const Case cases[] = {
      {"expired", good, 1900},
      {"issued in the future", good, 1000 - kClockSkewSeconds - 1},
      {"signed with another key", sign_token(claims(1000), derive_token_key(std::string(32, 'x'))), 1500},
      {"claims changed after signing", tampered, 1500},
      {"alg none", crypto::base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." + crypto::base64url_encode(body) + ".", 1500},
      {"another header, validly signed", forge(R"({"alg":"HS512","typ":"JWT"})", body, kKey), 1500},
      {"unknown role", forge(header, R"({"sub":"a","uid":1,"role":"root","ep":0,"iat":1000,"exp":1900,"jti":"abcdefghijklmnopqrstuvwx"})", kKey), 1500},
      {"missing claim", forge(header, R"({"sub":"a","uid":1,"role":"owner","iat":1000,"exp":1900,"jti":"abcdefghijklmnopqrstuvwx"})", kKey), 1500},
      {"claims not an object", forge(header, "[1]", kKey), 1500},
      {"short jti", forge(header, R"({"sub":"a","uid":1,"role":"owner","ep":0,"iat":1000,"exp":1900,"jti":"x"})", kKey), 1500},
      {"two parts", "abc.def", 1500},
      {"four parts", good + ".x", 1500},
      {"empty", "", 1500},
      {"not base64url", "a+b.c/d.e=f", 1500},
      {"too long", std::string(kMaxTokenLength + 1, 'a'), 1500},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    CHECK(code_of([&] { verify_token(c.token, kKey, c.now); }) == ExitCode::kUnauthorized);
  }
  CHECK(code_of([&] { verify_token(forge(header, body, kKey), kKey, 1500); }) == ExitCode::kOk);
}

TEST_CASE("a bearer token is taken from the Authorization header, any case of the scheme", "[token]") {
  CHECK(bearer_token("Bearer abc") == "abc");
  CHECK(bearer_token("bearer  abc ") == "abc");
  CHECK(bearer_token("BEARER abc") == "abc");
  CHECK_FALSE(bearer_token("Basic abc"));
  CHECK_FALSE(bearer_token("Bearer"));
  CHECK_FALSE(bearer_token("Bearer   "));
  CHECK_FALSE(bearer_token(""));
}

TEST_CASE("token ids are random and well-formed", "[token]") {
  std::string a = new_token_id(), b = new_token_id();
  CHECK(a != b);
  CHECK(a.size() >= 16);
  TokenClaims c = claims(1000);
  c.id = a;
  CHECK(verify_token(sign_token(c, kKey), kKey, 1001).id == a);
}
