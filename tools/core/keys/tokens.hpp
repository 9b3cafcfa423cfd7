#pragma once
// Bearer tokens: random, shown once, stored as a SHA-256 hash behind a visible prefix.
//
//   htv_<43 base64url chars>   a device's gateway token (what httvps-client presents)
//   hts_<43 base64url chars>   a device's subscription token (the subscription URL)
//   htg_<43 base64url chars>   a gateway's credential towards the control plane
//
// The first 12 characters are the lookup prefix, stored in the clear for lookup and display
// ("htv_3fa9c1d2…"); the whole token is hashed. A presented token is found by its prefix
// and accepted only when the hash of the whole token matches in constant time.

#include <string>
#include <string_view>

namespace httvps::keys {

inline constexpr std::string_view kDeviceToken = "htv_";
inline constexpr std::string_view kSubscriptionToken = "hts_";
inline constexpr std::string_view kGatewayToken = "htg_";
inline constexpr std::size_t kTokenRandomBytes = 32;  // 43 base64url characters
inline constexpr std::size_t kLookupPrefixLength = 12;

struct MintedToken {
  std::string token;   // the secret: shown once
  std::string prefix;  // stored and shown
  std::string hash;    // stored: sha256 hex of the token
};

MintedToken mint_token(std::string_view kind);

// Checks the shape of a presented token of KIND and returns its lookup prefix. Throws
// Failure(kUsage) naming FIELD for a missing, foreign or malformed token.
std::string lookup_prefix(std::string_view token, std::string_view kind, const std::string& field);

// True when TOKEN hashes to STORED_HASH (sha256 hex); constant time in the hash comparison.
bool token_matches(std::string_view token, std::string_view stored_hash);

// A per-device Shadowsocks password: 16 random bytes as 22 base64url characters.
std::string mint_ss_password();

// The associated data that binds a sealed device secret to its device and kind.
std::string sealing_context(long long device_id, std::string_view kind);

}  // namespace httvps::keys
