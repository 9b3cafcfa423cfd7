#include "tunnel/shadowsocks.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <utility>

#include "tunnel/socks5.hpp"

namespace httvps::tunnel {
namespace {

constexpr std::string_view kSubkeyInfo = "ss-subkey";
constexpr std::size_t kMd5Size = 16;
constexpr std::size_t kSha1Size = 20;

// "Cannot happen" on the data path: OpenSSL refusing an operation on a context it accepted.
[[noreturn]] void die(const char* what) noexcept {
  std::fprintf(stderr, "shadowsocks: %s failed\n", what);
  std::abort();
}

// Fetched once per process: an implicit fetch (EVP_aes_256_gcm() and friends) walks the
// provider store on every EVP_CipherInit_ex, i.e. on every new session.
const EVP_CIPHER* evp_cipher(Cipher cipher) noexcept {
  static EVP_CIPHER* const chacha = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
  static EVP_CIPHER* const aes256 = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  static EVP_CIPHER* const aes128 = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr);
  switch (cipher) {
    case Cipher::kChacha20IetfPoly1305:
      return chacha;
    case Cipher::kAes256Gcm:
      return aes256;
    case Cipher::kAes128Gcm:
      return aes128;
  }
  return nullptr;
}

struct KdfCtxFree {
  void operator()(EVP_KDF_CTX* c) const noexcept { EVP_KDF_CTX_free(c); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};

}  // namespace

std::optional<Cipher> parse_cipher(std::string_view name) noexcept {
  if (name == "chacha20-ietf-poly1305") return Cipher::kChacha20IetfPoly1305;
  if (name == "aes-256-gcm") return Cipher::kAes256Gcm;
  if (name == "aes-128-gcm") return Cipher::kAes128Gcm;
  return std::nullopt;
}

std::string_view cipher_name(Cipher cipher) noexcept {
  switch (cipher) {
    case Cipher::kChacha20IetfPoly1305:
      return "chacha20-ietf-poly1305";
    case Cipher::kAes256Gcm:
      return "aes-256-gcm";
    case Cipher::kAes128Gcm:
      return "aes-128-gcm";
  }
  return "unknown";
}

std::size_t key_size(Cipher cipher) noexcept { return cipher == Cipher::kAes128Gcm ? 16 : 32; }
std::size_t salt_size(Cipher cipher) noexcept { return key_size(cipher); }

std::vector<std::uint8_t> password_to_key(std::string_view password, std::size_t key_len) noexcept {
  std::vector<std::uint8_t> key;
  key.reserve(key_len + kMd5Size);
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx) return {};
  std::array<unsigned char, kMd5Size> digest{};
  bool first = true;
  while (key.size() < key_len) {
    unsigned int n = 0;
    if (EVP_DigestInit_ex(ctx.get(), EVP_md5(), nullptr) != 1 ||
        (!first && EVP_DigestUpdate(ctx.get(), digest.data(), digest.size()) != 1) ||
        EVP_DigestUpdate(ctx.get(), password.data(), password.size()) != 1 ||
        EVP_DigestFinal_ex(ctx.get(), digest.data(), &n) != 1 || n != kMd5Size) {
      OPENSSL_cleanse(key.data(), key.size());
      return {};
    }
    key.insert(key.end(), digest.begin(), digest.end());
    first = false;
  }
  OPENSSL_cleanse(digest.data(), digest.size());
  OPENSSL_cleanse(key.data() + key_len, key.size() - key_len);
  key.resize(key_len);
  return key;
}

bool hkdf_sha1(std::span<const std::uint8_t> key, std::span<const std::uint8_t> salt,
               std::span<const std::uint8_t> info, std::span<std::uint8_t> out) noexcept {
  if (key.empty() || out.empty() || out.size() > 255 * kSha1Size) return false;
  // Fetched once: a fetch walks the provider store, too slow to repeat for every session.
  static EVP_KDF* const kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (kdf == nullptr) return false;
  std::unique_ptr<EVP_KDF_CTX, KdfCtxFree> ctx(EVP_KDF_CTX_new(kdf));
  if (!ctx) return false;
  char digest[] = "SHA1";
  // OSSL_PARAM wants non-const pointers; OpenSSL only reads through them here.
  auto octets = [](const char* name, std::span<const std::uint8_t> s) {
    return OSSL_PARAM_construct_octet_string(name, const_cast<std::uint8_t*>(s.data()), s.size());
  };
  std::array<OSSL_PARAM, 5> params{};
  std::size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] = octets(OSSL_KDF_PARAM_KEY, key);
  if (!salt.empty()) params[n++] = octets(OSSL_KDF_PARAM_SALT, salt);
  if (!info.empty()) params[n++] = octets(OSSL_KDF_PARAM_INFO, info);
  params[n] = OSSL_PARAM_construct_end();
  return EVP_KDF_derive(ctx.get(), out.data(), out.size(), params.data()) == 1;
}

std::optional<std::vector<std::uint8_t>> encode_target(std::string_view host, std::uint16_t port) noexcept {
  return encode_address(host, port);
}

namespace detail {

AeadCore::~AeadCore() { EVP_CIPHER_CTX_free(ctx_); }

AeadCore::AeadCore(AeadCore&& other) noexcept
    : ctx_(std::exchange(other.ctx_, nullptr)), nonce_(other.nonce_) {}

AeadCore& AeadCore::operator=(AeadCore&& other) noexcept {
  if (this != &other) {
    EVP_CIPHER_CTX_free(ctx_);
    ctx_ = std::exchange(other.ctx_, nullptr);
    nonce_ = other.nonce_;
  }
  return *this;
}

bool AeadCore::init(Cipher cipher, std::span<const std::uint8_t> key, std::span<const std::uint8_t> salt) noexcept {
  const std::size_t n = key_size(cipher);
  if (key.size() != n || salt.size() != salt_size(cipher)) return false;
  std::array<std::uint8_t, kMaxKeySize> subkey{};
  const auto info = std::span(reinterpret_cast<const std::uint8_t*>(kSubkeyInfo.data()), kSubkeyInfo.size());
  bool ok = hkdf_sha1(key, salt, info, std::span(subkey.data(), n));
  EVP_CIPHER_CTX_free(ctx_);
  ctx_ = ok ? EVP_CIPHER_CTX_new() : nullptr;
  // The context is keyed once; each seal/open only sets the next nonce. Encryption
  // direction is fixed per call by EVP_EncryptInit_ex / EVP_DecryptInit_ex.
  const EVP_CIPHER* evp = evp_cipher(cipher);
  ok = ctx_ != nullptr && evp != nullptr && EVP_CipherInit_ex(ctx_, evp, nullptr, nullptr, nullptr, 1) == 1 &&
       EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_SET_IVLEN, static_cast<int>(kNonceSize), nullptr) == 1 &&
       EVP_CipherInit_ex(ctx_, nullptr, nullptr, subkey.data(), nullptr, 1) == 1;
  OPENSSL_cleanse(subkey.data(), subkey.size());
  nonce_.fill(0);
  if (!ok) {
    EVP_CIPHER_CTX_free(ctx_);
    ctx_ = nullptr;
  }
  return ok;
}

void AeadCore::advance_nonce() noexcept {
  for (auto& b : nonce_) {
    if (++b != 0) break;
  }
}

void AeadCore::seal(std::span<const std::uint8_t> in, std::uint8_t* out) noexcept {
  if (ctx_ == nullptr) die("seal on an unkeyed context");
  int len = 0;
  if (EVP_EncryptInit_ex(ctx_, nullptr, nullptr, nullptr, nonce_.data()) != 1) die("EVP_EncryptInit_ex");
  // A zero-length update is skipped: with a null output OpenSSL would take it as AAD.
  if (!in.empty() && (EVP_EncryptUpdate(ctx_, out, &len, in.data(), static_cast<int>(in.size())) != 1 ||
                      static_cast<std::size_t>(len) != in.size())) {
    die("EVP_EncryptUpdate");
  }
  if (EVP_EncryptFinal_ex(ctx_, out + in.size(), &len) != 1 || len != 0) die("EVP_EncryptFinal_ex");
  if (EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTagSize), out + in.size()) != 1) {
    die("EVP_CTRL_AEAD_GET_TAG");
  }
  advance_nonce();
}

bool AeadCore::open(std::span<const std::uint8_t> in, std::uint8_t* out) noexcept {
  if (ctx_ == nullptr || in.size() < kTagSize) return false;
  const std::size_t n = in.size() - kTagSize;
  int len = 0;
  // OpenSSL copies the expected tag; the ctrl interface just is not const-correct.
  auto* tag = const_cast<std::uint8_t*>(in.data() + n);
  if (EVP_DecryptInit_ex(ctx_, nullptr, nullptr, nullptr, nonce_.data()) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagSize), tag) != 1) {
    die("EVP_DecryptInit_ex");
  }
  if (n > 0 && (EVP_DecryptUpdate(ctx_, out, &len, in.data(), static_cast<int>(n)) != 1 ||
                static_cast<std::size_t>(len) != n)) {
    return false;
  }
  std::uint8_t unused[16];
  if (EVP_DecryptFinal_ex(ctx_, unused, &len) != 1) return false;
  advance_nonce();
  return true;
}

}  // namespace detail

std::optional<AeadEncryptor> AeadEncryptor::create(Cipher cipher, std::span<const std::uint8_t> key) noexcept {
  std::array<std::uint8_t, kMaxKeySize> salt{};
  const std::size_t n = salt_size(cipher);
  if (RAND_bytes(salt.data(), static_cast<int>(n)) != 1) return std::nullopt;
  return create_with_salt(cipher, key, std::span(salt.data(), n));
}

std::optional<AeadEncryptor> AeadEncryptor::create_with_salt(Cipher cipher, std::span<const std::uint8_t> key,
                                                             std::span<const std::uint8_t> salt) noexcept {
  AeadEncryptor enc;
  if (!enc.core_.init(cipher, key, salt)) return std::nullopt;
  std::copy(salt.begin(), salt.end(), enc.salt_.begin());
  enc.salt_size_ = salt.size();
  return enc;
}

void AeadEncryptor::seal(std::span<const std::uint8_t> plaintext, std::vector<std::uint8_t>& out) noexcept {
  const std::size_t chunks = (plaintext.size() + kMaxPayloadSize - 1) / kMaxPayloadSize;
  std::size_t at = out.size();
  out.resize(at + (salt_sent_ ? 0 : salt_size_) + plaintext.size() + chunks * (kLengthBlockSize + kTagSize));
  if (!salt_sent_) {
    std::copy_n(salt_.begin(), salt_size_, out.begin() + static_cast<std::ptrdiff_t>(at));
    at += salt_size_;
    salt_sent_ = true;
  }
  while (!plaintext.empty()) {
    const std::size_t n = std::min(plaintext.size(), kMaxPayloadSize);
    const std::array<std::uint8_t, 2> length{static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
    core_.seal(length, out.data() + at);
    at += kLengthBlockSize;
    core_.seal(plaintext.first(n), out.data() + at);
    at += n + kTagSize;
    plaintext = plaintext.subspan(n);
  }
}

std::optional<AeadDecryptor> AeadDecryptor::create(Cipher cipher, std::span<const std::uint8_t> key) noexcept {
  if (key.size() != key_size(cipher) || evp_cipher(cipher) == nullptr) return std::nullopt;
  AeadDecryptor dec;
  dec.cipher_ = cipher;
  std::copy(key.begin(), key.end(), dec.key_.begin());
  return dec;
}

AeadDecryptor::~AeadDecryptor() { OPENSSL_cleanse(key_.data(), key_.size()); }

AeadDecryptor::AeadDecryptor(AeadDecryptor&& other) noexcept
    : cipher_(other.cipher_),
      key_(other.key_),
      core_(std::move(other.core_)),
      state_(other.state_),
      payload_size_(other.payload_size_),
      pending_(std::move(other.pending_)) {
  OPENSSL_cleanse(other.key_.data(), other.key_.size());
  other.state_ = State::kFailed;
}

AeadDecryptor& AeadDecryptor::operator=(AeadDecryptor&& other) noexcept {
  if (this != &other) {
    cipher_ = other.cipher_;
    key_ = other.key_;
    core_ = std::move(other.core_);
    state_ = other.state_;
    payload_size_ = other.payload_size_;
    pending_ = std::move(other.pending_);
    OPENSSL_cleanse(other.key_.data(), other.key_.size());
    other.state_ = State::kFailed;
  }
  return *this;
}

std::size_t AeadDecryptor::wanted() const noexcept {
  switch (state_) {
    case State::kSalt:
      return salt_size(cipher_);
    case State::kLength:
      return kLengthBlockSize;
    case State::kPayload:
      return payload_size_ + kTagSize;
    case State::kFailed:
      break;
  }
  return 0;
}

DecryptStatus AeadDecryptor::feed(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& plaintext_out) noexcept {
  while (state_ != State::kFailed && !in.empty()) {
    const std::size_t need = wanted();
    std::span<const std::uint8_t> unit;
    if (pending_.empty() && in.size() >= need) {
      // The common case: a whole unit in this read, opened straight from the caller's bytes.
      unit = in.first(need);
      in = in.subspan(need);
    } else {
      const std::size_t take = std::min(need - pending_.size(), in.size());
      pending_.insert(pending_.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(take));
      in = in.subspan(take);
      if (pending_.size() < need) break;
      unit = pending_;
    }
    const bool ok = consume(unit, plaintext_out);
    pending_.clear();
    if (!ok) {
      state_ = State::kFailed;
      pending_.shrink_to_fit();
    }
  }
  return state_ == State::kFailed ? DecryptStatus::kError : DecryptStatus::kOk;
}

bool AeadDecryptor::consume(std::span<const std::uint8_t> unit, std::vector<std::uint8_t>& plaintext_out) noexcept {
  switch (state_) {
    case State::kSalt: {
      const bool ok = core_.init(cipher_, std::span(key_.data(), key_size(cipher_)), unit);
      OPENSSL_cleanse(key_.data(), key_.size());  // the subkey is all this session needs now
      state_ = State::kLength;
      return ok;
    }
    case State::kLength: {
      std::array<std::uint8_t, 2> length{};
      if (!core_.open(unit, length.data())) return false;
      payload_size_ = static_cast<std::size_t>(length[0]) << 8 | length[1];
      if (payload_size_ > kMaxPayloadSize) return false;
      state_ = State::kPayload;
      return true;
    }
    case State::kPayload: {
      const std::size_t at = plaintext_out.size();
      plaintext_out.resize(at + payload_size_);
      if (!core_.open(unit, plaintext_out.data() + at)) {
        OPENSSL_cleanse(plaintext_out.data() + at, payload_size_);
        plaintext_out.resize(at);  // unauthenticated bytes never reach the caller
        return false;
      }
      state_ = State::kLength;
      return true;
    }
    case State::kFailed:
      break;
  }
  return false;
}

}  // namespace httvps::tunnel
