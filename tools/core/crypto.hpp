#pragma once
// Cryptography over OpenSSL 3: randomness, encodings, hashes, MACs, constant-time
// comparison, scrypt password hashes and AEAD sealing of secrets at rest. Every function
// either succeeds or throws Failure(kInternal) (OpenSSL failures) / Failure(kUsage)
// (malformed input such as bad base64 or a tampered ciphertext).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace httvps::crypto {

using Bytes = std::vector<std::uint8_t>;

// N bytes from the operating system's CSPRNG.
Bytes random_bytes(std::size_t n);

// A random token: PREFIX followed by N random bytes in base64url without padding,
// e.g. random_token("htv_", 32).
std::string random_token(std::string_view prefix, std::size_t n);

std::string base64_encode(std::string_view data);          // standard alphabet, padded
std::string base64url_encode(std::string_view data);       // URL alphabet, no padding
// Decodes either alphabet, with or without padding; throws Failure(kUsage) on bad input.
std::string base64_decode(std::string_view text);
std::string hex_encode(std::string_view data);

std::string sha256(std::string_view data);                 // raw 32 bytes
std::string sha256_hex(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw 32 bytes

// Compares in time that depends only on the lengths, never on where the inputs differ.
bool constant_time_equal(std::string_view a, std::string_view b);

// scrypt password hashing for admins. The result is self-describing:
// "scrypt$ln=15,r=8,p=1$<salt b64>$<hash b64>".
struct ScryptParams {
  int log2_n = 15;
  int r = 8;
  int p = 1;
};
std::string hash_password(std::string_view password, ScryptParams params = {});
// True when PASSWORD matches ENCODED; false for a wrong password or a malformed encoding.
bool verify_password(std::string_view password, std::string_view encoded);

// AEAD for secrets stored at rest (AES-256-GCM). KEY is 32 bytes. The sealed form is
// "v1." + base64url(nonce || ciphertext || tag). ASSOCIATED binds the ciphertext to its
// context (e.g. "device_credentials:42") so it cannot be moved to another row.
std::string seal(std::string_view key, std::string_view plaintext, std::string_view associated);
// Throws Failure(kUsage) when the text is malformed or was tampered with or the key is wrong.
std::string open(std::string_view key, std::string_view sealed, std::string_view associated);

// open() for secrets this server sealed itself (rows from its own database): a failure
// there is the server's fault (a changed secrets.key, a corrupt row), so it is
// Failure(kInternal) naming WHAT, never a client error.
std::string open_stored(std::string_view key, std::string_view sealed, std::string_view associated,
                        const std::string& what);

// Reads a 32-byte key from its base64 text; throws Failure(kConfig) otherwise.
std::string decode_key(std::string_view base64_text);

}  // namespace httvps::crypto
