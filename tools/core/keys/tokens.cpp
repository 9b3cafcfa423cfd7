#include "core/keys/tokens.hpp"

#include <algorithm>
#include <cctype>

#include "core/crypto.hpp"
#include "core/error.hpp"

namespace httvps::keys {

MintedToken mint_token(std::string_view kind) {
  MintedToken t;
  t.token = crypto::random_token(kind, kTokenRandomBytes);
  t.prefix = t.token.substr(0, kLookupPrefixLength);
  t.hash = crypto::sha256_hex(t.token);
  return t;
}

std::string lookup_prefix(std::string_view token, std::string_view kind, const std::string& field) {
  if (token.empty()) throw usage_error(field + " is missing", field);
  const std::size_t expected = kind.size() + 43;
  if (!token.starts_with(kind)) {
    throw usage_error(field + " must start with '" + std::string(kind) + "'", field);
  }
  if (token.size() != expected) {
    throw usage_error(field + " must be " + std::to_string(expected) + " characters long", field);
  }
  bool ok = std::all_of(token.begin() + static_cast<std::ptrdiff_t>(kind.size()), token.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_';
  });
  if (!ok) throw usage_error(field + " holds characters outside base64url", field);
  return std::string(token.substr(0, kLookupPrefixLength));
}

bool token_matches(std::string_view token, std::string_view stored_hash) {
  return crypto::constant_time_equal(crypto::sha256_hex(token), stored_hash);
}

std::string mint_ss_password() {
  auto b = crypto::random_bytes(16);
  return crypto::base64url_encode(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}

std::string sealing_context(long long device_id, std::string_view kind) {
  return "device_credentials:" + std::to_string(device_id) + ":" + std::string(kind);
}

}  // namespace httvps::keys
