#include "core/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <cstdio>
#include <memory>

#include "core/error.hpp"

namespace httvps::crypto {
namespace {

constexpr std::string_view kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kB64Url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode(std::string_view data, std::string_view alphabet, bool pad) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(data[k])); };
  for (; i + 3 <= data.size(); i += 3) {
    std::uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  std::size_t rest = data.size() - i;
  if (rest == 1) {
    std::uint32_t v = byte(i) << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (pad) out += "==";
  } else if (rest == 2) {
    std::uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    if (pad) out += '=';
  }
  return out;
}

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

[[noreturn]] void openssl_failure(const char* what) {
  throw internal_error(std::string("crypto: ") + what + " failed");
}

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

constexpr std::size_t kNonce = 12;
constexpr std::uint64_t kScryptMaxMem = 256ULL << 20;
constexpr std::size_t kTag = 16;

}  // namespace

Bytes random_bytes(std::size_t n) {
  Bytes out(n);
  if (n > 0 && RAND_bytes(out.data(), static_cast<int>(n)) != 1) openssl_failure("RAND_bytes");
  return out;
}

std::string random_token(std::string_view prefix, std::size_t n) {
  Bytes b = random_bytes(n);
  return std::string(prefix) + base64url_encode(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}

std::string base64_encode(std::string_view data) { return encode(data, kB64, true); }
std::string base64url_encode(std::string_view data) { return encode(data, kB64Url, false); }

std::string base64_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) throw usage_error("invalid base64 length");
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = b64_value(c);
    if (v < 0) throw usage_error("invalid base64 character");
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

std::string hex_encode(std::string_view data) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (unsigned char c : data) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string sha256(std::string_view data) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> md{};
  if (EVP_Digest(data.data(), data.size(), md.data(), nullptr, EVP_sha256(), nullptr) != 1) openssl_failure("sha256");
  return std::string(reinterpret_cast<const char*>(md.data()), md.size());
}

std::string sha256_hex(std::string_view data) { return hex_encode(sha256(data)); }

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), md.data(), &len) == nullptr) {
    openssl_failure("hmac-sha256");
  }
  return std::string(reinterpret_cast<const char*>(md.data()), len);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string hash_password(std::string_view password, ScryptParams params) {
  if (params.log2_n < 10 || params.log2_n > 17 || params.r < 1 || params.r > 16 || params.p < 1 || params.p > 4) {
    throw usage_error("scrypt parameters out of range");
  }
  Bytes salt = random_bytes(16);
  std::array<unsigned char, 32> out{};
  std::uint64_t n = 1ULL << params.log2_n;
  if (EVP_PBE_scrypt(password.data(), password.size(), salt.data(), salt.size(), n,
                     static_cast<std::uint64_t>(params.r), static_cast<std::uint64_t>(params.p),
                     kScryptMaxMem, out.data(), out.size()) != 1) {
    openssl_failure("scrypt");
  }
  return "scrypt$ln=" + std::to_string(params.log2_n) + ",r=" + std::to_string(params.r) +
         ",p=" + std::to_string(params.p) + "$" +
         base64url_encode(std::string_view(reinterpret_cast<const char*>(salt.data()), salt.size())) + "$" +
         base64url_encode(std::string_view(reinterpret_cast<const char*>(out.data()), out.size()));
}

bool verify_password(std::string_view password, std::string_view encoded) {
  // scrypt$ln=15,r=8,p=1$salt$hash
  auto next = [&](std::string_view& s) {
    auto pos = s.find('$');
    std::string_view part = s.substr(0, pos);
    s = pos == std::string_view::npos ? std::string_view() : s.substr(pos + 1);
    return part;
  };
  std::string_view rest = encoded;
  if (next(rest) != "scrypt") return false;
  std::string_view params = next(rest);
  std::string_view salt_text = next(rest);
  std::string_view hash_text = rest;
  int ln = 0, r = 0, p = 0;
  if (std::sscanf(std::string(params).c_str(), "ln=%d,r=%d,p=%d", &ln, &r, &p) != 3) return false;
  // Bounds keep a hostile or corrupt row from costing gigabytes or minutes per check.
  if (ln < 10 || ln > 17 || r < 1 || r > 16 || p < 1 || p > 4) return false;
  std::string salt, expected;
  try {
    salt = base64_decode(salt_text);
    expected = base64_decode(hash_text);
  } catch (const Failure&) {
    return false;
  }
  if (expected.size() != 32 || salt.empty()) return false;
  std::array<unsigned char, 32> out{};
  if (EVP_PBE_scrypt(password.data(), password.size(), reinterpret_cast<const unsigned char*>(salt.data()),
                     salt.size(), 1ULL << ln, static_cast<std::uint64_t>(r), static_cast<std::uint64_t>(p),
                     kScryptMaxMem, out.data(), out.size()) != 1) {
    return false;
  }
  return constant_time_equal(std::string_view(reinterpret_cast<const char*>(out.data()), out.size()), expected);
}

std::string seal(std::string_view key, std::string_view plaintext, std::string_view associated) {
  if (key.size() != 32) throw internal_error("crypto: seal needs a 32-byte key");
  Bytes nonce = random_bytes(kNonce);
  std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
  if (!ctx) openssl_failure("EVP_CIPHER_CTX_new");
  std::string out(kNonce + plaintext.size() + kTag, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  std::copy(nonce.begin(), nonce.end(), o);
  int len = 0;
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, reinterpret_cast<const unsigned char*>(key.data()),
                         nonce.data()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(associated.data()),
                        static_cast<int>(associated.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), o + kNonce, &len, reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), o + kNonce + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag, o + kNonce + plaintext.size()) != 1) {
    openssl_failure("aes-256-gcm seal");
  }
  return "v1." + base64url_encode(out);
}

std::string open(std::string_view key, std::string_view sealed, std::string_view associated) {
  if (key.size() != 32) throw internal_error("crypto: open needs a 32-byte key");
  if (!sealed.starts_with("v1.")) throw usage_error("sealed secret has an unknown format");
  std::string raw = base64_decode(sealed.substr(3));
  if (raw.size() < kNonce + kTag) throw usage_error("sealed secret is too short");
  std::size_t n = raw.size() - kNonce - kTag;
  auto* r = reinterpret_cast<unsigned char*>(raw.data());
  std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
  if (!ctx) openssl_failure("EVP_CIPHER_CTX_new");
  std::string plain(n, '\0');
  int len = 0;
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, reinterpret_cast<const unsigned char*>(key.data()),
                         r) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(associated.data()),
                        static_cast<int>(associated.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len, r + kNonce,
                        static_cast<int>(n)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag, r + kNonce + n) != 1) {
    openssl_failure("aes-256-gcm open");
  }
  if (EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len, &len) != 1) {
    throw usage_error("sealed secret failed authentication (wrong key or tampered)");
  }
  return plain;
}

std::string open_stored(std::string_view key, std::string_view sealed, std::string_view associated,
                        const std::string& what) {
  try {
    return open(key, sealed, associated);
  } catch (const Failure& f) {
    throw internal_error("cannot open the stored " + what + " (" + f.what() + "); was secrets.key changed?");
  }
}

std::string decode_key(std::string_view base64_text) {
  std::string key;
  try {
    key = base64_decode(base64_text);
  } catch (const Failure&) {
    throw config_error("secrets key is not valid base64");
  }
  if (key.size() != 32) throw config_error("secrets key must decode to 32 bytes, got " + std::to_string(key.size()));
  return key;
}

}  // namespace httvps::crypto
