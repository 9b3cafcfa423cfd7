// Fuzz target: admin tokens as a client sends them (the Authorization header value).
// Nothing but a token signed with the key may verify; nothing may crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/admin/token.hpp"
#include "core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace httvps;
  std::string text(reinterpret_cast<const char*>(data), size);
  static const std::string key = admin::derive_token_key(std::string(32, 'f'));
  auto token = admin::bearer_token(text);
  for (const std::string& t : {text, token.value_or("")}) {
    try {
      admin::TokenClaims c = admin::verify_token(t, key, 1000);
      // Whatever verified must be exactly what signing these claims produces.
      if (admin::sign_token(c, key) != t) __builtin_trap();
    } catch (const Failure& f) {
      if (f.code() != ExitCode::kUnauthorized) __builtin_trap();
    }
  }
  return 0;
}
