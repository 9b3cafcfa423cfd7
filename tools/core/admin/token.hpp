#pragma once
// Admin login tokens: HMAC-SHA256 signed claims in JWT compact form (RFC 7519, "HS256"):
//   base64url({"alg":"HS256","typ":"JWT"}) . base64url(claims) . base64url(HMAC-SHA256)
// Claims: sub (username), uid (admin id), role, ep (the admin's token_epoch), iat, exp,
// jti (random id, for logout). Pure functions over the clock and a key: the database
// checks (admin still enabled, same epoch and role, jti not logged out) are the caller's.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/contract/roles.hpp"

namespace httvps::admin {

struct TokenClaims {
  std::string subject;  // admin username
  std::int64_t admin_id = 0;
  contract::Role role = contract::Role::kViewer;
  std::int64_t epoch = 0;
  std::int64_t issued_at = 0;
  std::int64_t expires_at = 0;
  std::string id;  // jti: 16-64 characters of [A-Za-z0-9_-]
};

// Longest token accepted: anything longer is refused before any decoding.
inline constexpr std::size_t kMaxTokenLength = 2048;
// Clock skew tolerated for iat (CGI hosts' clocks differ slightly).
inline constexpr std::int64_t kClockSkewSeconds = 60;

// The signing key: HMAC-SHA256(SECRETS_KEY, "httvps admin token v1"), so tokens use a key
// of their own that is still derived from the one secret an installation keeps.
std::string derive_token_key(std::string_view secrets_key);

// A new random jti.
std::string new_token_id();

// The compact token for CLAIMS signed with KEY.
std::string sign_token(const TokenClaims& claims, std::string_view key);

// Checks form, algorithm, signature (constant time), expiry and issue time against NOW.
// Throws Failure(kUnauthorized, field "Authorization") naming what is wrong; never
// echoes the token.
TokenClaims verify_token(std::string_view token, std::string_view key, std::int64_t now);

// The token of an "Authorization: Bearer <token>" header value (scheme case-insensitive);
// nullopt for another scheme or an empty token.
std::optional<std::string> bearer_token(std::string_view authorization);

}  // namespace httvps::admin
