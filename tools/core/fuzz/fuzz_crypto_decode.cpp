// Fuzz target: decoders of stored or transmitted secrets: base64 in both alphabets,
// sealed secrets and password hashes. Decoding hostile text fails cleanly; encoding
// round-trips.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/crypto.hpp"
#include "core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace httvps;
  std::string text(reinterpret_cast<const char*>(data), size);
  if (crypto::base64_decode(crypto::base64_encode(text)) != text) __builtin_trap();
  if (crypto::base64_decode(crypto::base64url_encode(text)) != text) __builtin_trap();
  try {
    (void)crypto::base64_decode(text);
  } catch (const Failure&) {
  }
  static const std::string key(32, '\x42');
  try {
    (void)crypto::open(key, text, "fuzz");
  } catch (const Failure&) {
  }
  if (size < 200 && crypto::verify_password("x", text) && text.rfind("scrypt$", 0) != 0) __builtin_trap();
  return 0;
}
