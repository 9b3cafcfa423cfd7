#pragma once
// Shadowsocks AEAD framing (SIP004) for the gateway's streams to nodes that run
// shadowsocks-libev. One AeadEncryptor per outgoing direction, one AeadDecryptor per
// incoming one; each owns its salt, subkey and nonce counter, and is used by one thread.
//
// Each direction of a TCP relay is   [salt][chunk][chunk]...   where
//   chunk  = [sealed 2-byte big-endian payload length][tag][sealed payload][tag]
//   subkey = HKDF-SHA1(master key, salt, info "ss-subkey"), as long as the master key;
//   nonce  = a 12-byte little-endian counter from zero, incremented after every seal/open
//            (so twice per chunk).
// The first plaintext of the client's stream starts with the target address
// (encode_target).
//
// Every function is noexcept. What the network can do (bad tags, oversized lengths, data
// cut at any byte) is a status; OpenSSL failing on a context that was set up correctly, or
// memory running out, "cannot happen" and terminates the process (the gateway's data-path
// rule).

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

struct evp_cipher_ctx_st;  // OpenSSL's EVP_CIPHER_CTX; only shadowsocks.cpp knows OpenSSL

namespace httvps::tunnel {

enum class Cipher { kChacha20IetfPoly1305, kAes256Gcm, kAes128Gcm };

inline constexpr std::size_t kTagSize = 16;
inline constexpr std::size_t kNonceSize = 12;
inline constexpr std::size_t kMaxKeySize = 32;
// Payload lengths are capped at 0x3FFF; the two high bits are reserved and must be zero.
inline constexpr std::size_t kMaxPayloadSize = 0x3FFF;
inline constexpr std::size_t kLengthBlockSize = 2 + kTagSize;
inline constexpr std::size_t kMaxChunkSize = kLengthBlockSize + kMaxPayloadSize + kTagSize;

// The cipher as shadowsocks-libev's -m option names it: "chacha20-ietf-poly1305",
// "aes-256-gcm" or "aes-128-gcm". Anything else (stream ciphers included) is nullopt.
std::optional<Cipher> parse_cipher(std::string_view name) noexcept;
std::string_view cipher_name(Cipher cipher) noexcept;
std::size_t key_size(Cipher cipher) noexcept;   // 32, 32, 16
std::size_t salt_size(Cipher cipher) noexcept;  // equal to the key size

// The master key shadowsocks-libev derives from its -k password: OpenSSL's EVP_BytesToKey
// with MD5, no salt and one iteration (D1 = MD5(pw), Di = MD5(Di-1 || pw), concatenated),
// cut to KEY_LEN bytes. Empty only if OpenSSL fails.
std::vector<std::uint8_t> password_to_key(std::string_view password, std::size_t key_len) noexcept;

// HKDF (RFC 5869) with SHA-1: fills OUT from KEY (non-empty), SALT (empty means the
// RFC's all-zero salt) and INFO. False when OpenSSL fails or OUT is empty or longer than
// 255 * 20 bytes.
bool hkdf_sha1(std::span<const std::uint8_t> key, std::span<const std::uint8_t> salt,
               std::span<const std::uint8_t> info, std::span<std::uint8_t> out) noexcept;

// The target address that opens the first plaintext of a TCP relay, in SOCKS5 form:
// ATYP 0x01 + 4 bytes, 0x04 + 16 bytes or 0x03 + length + name, then the big-endian port.
// HOST is dotted IPv4, IPv6 (brackets allowed) or a domain name of 1-255 bytes; nullopt
// otherwise. (The same encoding as socks5.hpp's encode_address.)
std::optional<std::vector<std::uint8_t>> encode_target(std::string_view host, std::uint16_t port) noexcept;

namespace detail {

// One direction's AEAD context: the cipher keyed with the subkey once, and the nonce
// counter. seal/open each handle one sealed piece (a length or a payload) and advance the
// nonce.
class AeadCore {
 public:
  AeadCore() noexcept = default;
  ~AeadCore();
  AeadCore(AeadCore&& other) noexcept;
  AeadCore& operator=(AeadCore&& other) noexcept;
  AeadCore(const AeadCore&) = delete;
  AeadCore& operator=(const AeadCore&) = delete;

  // Derives the subkey from KEY and SALT (both key_size(cipher) bytes) and keys the
  // context. False when OpenSSL fails or the sizes are wrong.
  bool init(Cipher cipher, std::span<const std::uint8_t> key, std::span<const std::uint8_t> salt) noexcept;
  // Writes IN.size() bytes of ciphertext and then the tag to OUT (IN.size() + kTagSize
  // bytes). Terminates if OpenSSL fails.
  void seal(std::span<const std::uint8_t> in, std::uint8_t* out) noexcept;
  // Writes the plaintext of IN (ciphertext followed by its tag) to OUT (IN.size() -
  // kTagSize bytes). False when the tag does not verify; OUT then holds garbage.
  bool open(std::span<const std::uint8_t> in, std::uint8_t* out) noexcept;

 private:
  void advance_nonce() noexcept;

  evp_cipher_ctx_st* ctx_ = nullptr;
  std::array<std::uint8_t, kNonceSize> nonce_{};
};

}  // namespace detail

// The sending half of a session.
class AeadEncryptor {
 public:
  // A session under master KEY (key_size(cipher) bytes) with a fresh random salt;
  // nullopt when KEY has the wrong size or OpenSSL (or its CSPRNG) fails.
  static std::optional<AeadEncryptor> create(Cipher cipher, std::span<const std::uint8_t> key) noexcept;
  // The same with a chosen SALT (salt_size(cipher) bytes), for known answers and fuzzing
  // only: a salt used twice with one key gives away both streams.
  static std::optional<AeadEncryptor> create_with_salt(Cipher cipher, std::span<const std::uint8_t> key,
                                                       std::span<const std::uint8_t> salt) noexcept;

  std::span<const std::uint8_t> salt() const noexcept { return {salt_.data(), salt_size_}; }

  // Appends to OUT the salt (on the first call only, even when PLAINTEXT is empty), then
  // PLAINTEXT sealed in chunks of at most kMaxPayloadSize bytes. An empty PLAINTEXT makes
  // no chunk: shadowsocks-libev rejects zero-length chunks.
  void seal(std::span<const std::uint8_t> plaintext, std::vector<std::uint8_t>& out) noexcept;

 private:
  AeadEncryptor() noexcept = default;

  detail::AeadCore core_;
  std::array<std::uint8_t, kMaxKeySize> salt_{};
  std::size_t salt_size_ = 0;
  bool salt_sent_ = false;
};

enum class DecryptStatus { kOk, kError };

// The receiving half of a session: an incremental chunk reader that accepts the stream cut
// at any byte. It holds at most one incomplete salt, length block or payload (never more
// than salt_size + kMaxChunkSize bytes) and only ever outputs authenticated plaintext.
class AeadDecryptor {
 public:
  // A reader under master KEY (key_size(cipher) bytes); nullopt when KEY has the wrong
  // size or OpenSSL fails.
  static std::optional<AeadDecryptor> create(Cipher cipher, std::span<const std::uint8_t> key) noexcept;

  ~AeadDecryptor();
  AeadDecryptor(AeadDecryptor&& other) noexcept;
  AeadDecryptor& operator=(AeadDecryptor&& other) noexcept;
  AeadDecryptor(const AeadDecryptor&) = delete;
  AeadDecryptor& operator=(const AeadDecryptor&) = delete;

  // Consumes all of IN and appends the plaintext of every chunk it completes to
  // PLAINTEXT_OUT. kError when a tag fails or a length is over 0x3FFF: the chunks before
  // the bad one have been appended, nothing of it or after it is, and every later call
  // returns kError too (the peer must be dropped).
  DecryptStatus feed(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& plaintext_out) noexcept;

  bool failed() const noexcept { return state_ == State::kFailed; }
  // Bytes held for an incomplete salt, length block or payload.
  std::size_t buffered() const noexcept { return pending_.size(); }

 private:
  enum class State { kSalt, kLength, kPayload, kFailed };

  AeadDecryptor() noexcept = default;
  std::size_t wanted() const noexcept;
  bool consume(std::span<const std::uint8_t> unit, std::vector<std::uint8_t>& plaintext_out) noexcept;

  Cipher cipher_ = Cipher::kChacha20IetfPoly1305;
  std::array<std::uint8_t, kMaxKeySize> key_{};  // kept until the salt arrives, then wiped
  detail::AeadCore core_;
  State state_ = State::kSalt;
  std::size_t payload_size_ = 0;
  std::vector<std::uint8_t> pending_;
};

}  // namespace httvps::tunnel
