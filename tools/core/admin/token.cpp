#include "core/admin/token.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "core/crypto.hpp"
#include "core/error.hpp"

namespace httvps::admin {
namespace {

constexpr std::string_view kHeader = R"({"alg":"HS256","typ":"JWT"})";

Failure bad_token(const std::string& why) {
  return Failure(ExitCode::kUnauthorized, "admin token " + why, "Authorization").with_header("WWW-Authenticate", "Bearer");
}

bool is_b64url(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_';
  });
}

bool valid_jti(const std::string& s) { return s.size() >= 16 && s.size() <= 64 && is_b64url(s); }

std::int64_t claim_int(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_number_integer()) throw bad_token("lacks the claim '" + std::string(name) + "'");
  return it->get<std::int64_t>();
}

std::string claim_text(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) throw bad_token("lacks the claim '" + std::string(name) + "'");
  return it->get<std::string>();
}

}  // namespace

std::string derive_token_key(std::string_view secrets_key) {
  return crypto::hmac_sha256(secrets_key, "httvps admin token v1");
}

std::string new_token_id() { return crypto::random_token("", 18); }

std::string sign_token(const TokenClaims& c, std::string_view key) {
  nlohmann::json claims = {{"sub", c.subject}, {"uid", c.admin_id},     {"role", contract::role_name(c.role)},
                           {"ep", c.epoch},    {"iat", c.issued_at},    {"exp", c.expires_at},
                           {"jti", c.id}};
  std::string signing_input = crypto::base64url_encode(kHeader) + "." + crypto::base64url_encode(claims.dump());
  return signing_input + "." + crypto::base64url_encode(crypto::hmac_sha256(key, signing_input));
}

TokenClaims verify_token(std::string_view token, std::string_view key, std::int64_t now) {
  if (token.empty()) throw bad_token("is empty");
  if (token.size() > kMaxTokenLength) throw bad_token("is too long");
  const auto dot1 = token.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    throw bad_token("is not of the form header.claims.signature");
  }
  std::string_view header = token.substr(0, dot1);
  std::string_view body = token.substr(dot1 + 1, dot2 - dot1 - 1);
  std::string_view sig = token.substr(dot2 + 1);
  if (!is_b64url(header) || !is_b64url(body) || !is_b64url(sig)) throw bad_token("is not base64url");
  // The signature is checked first, over the exact bytes received; nothing of the header
  // or claims is trusted before that. The header must be exactly ours (alg HS256): no
  // "none", no algorithm chosen by the sender.
  // Compared as text: the one canonical encoding of the MAC, so no second spelling of the
  // same signature (base64 padding bits) verifies.
  std::string expected = crypto::base64url_encode(crypto::hmac_sha256(key, token.substr(0, dot2)));
  if (!crypto::constant_time_equal(expected, sig)) throw bad_token("signature does not match");
  if (header != crypto::base64url_encode(kHeader)) throw bad_token("header is not HS256 JWT");
  nlohmann::json claims;
  try {
    claims = nlohmann::json::parse(crypto::base64_decode(body));
  } catch (const std::exception&) {
    throw bad_token("claims are not JSON");
  }
  if (!claims.is_object()) throw bad_token("claims are not an object");
  TokenClaims c;
  c.subject = claim_text(claims, "sub");
  c.admin_id = claim_int(claims, "uid");
  auto role = contract::role_from_name(claim_text(claims, "role"));
  if (!role) throw bad_token("names an unknown role");
  c.role = *role;
  c.epoch = claim_int(claims, "ep");
  c.issued_at = claim_int(claims, "iat");
  c.expires_at = claim_int(claims, "exp");
  c.id = claim_text(claims, "jti");
  if (!valid_jti(c.id)) throw bad_token("has a malformed id");
  if (c.expires_at <= now) throw bad_token("has expired");
  if (c.issued_at > now + kClockSkewSeconds) throw bad_token("is issued in the future");
  if (c.expires_at <= c.issued_at) throw bad_token("expires before it was issued");
  return c;
}

std::optional<std::string> bearer_token(std::string_view authorization) {
  auto space = authorization.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  std::string scheme(authorization.substr(0, space));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "bearer") return std::nullopt;
  std::string_view rest = authorization.substr(space + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  if (rest.empty()) return std::nullopt;
  return std::string(rest);
}

}  // namespace httvps::admin
