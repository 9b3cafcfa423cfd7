#include "tunnel/shadowsocks.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <string>

using namespace httvps::tunnel;
using Bytes = std::vector<std::uint8_t>;

namespace {

constexpr Cipher kAllCiphers[] = {Cipher::kChacha20IetfPoly1305, Cipher::kAes256Gcm, Cipher::kAes128Gcm};

Bytes from_hex(std::string_view hex) {
  Bytes out;
  auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  }
  return out;
}

Bytes to_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

Bytes counting(std::size_t n, std::uint8_t start = 0) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(start + i);
  return b;
}

Bytes random_bytes(std::mt19937& rng, std::size_t n) {
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

Bytes key_for(Cipher c) { return password_to_key("correct horse", key_size(c)); }

// Feeds STREAM in pieces of random sizes (1 byte up to a few chunks).
DecryptStatus feed_in_pieces(AeadDecryptor& dec, const Bytes& stream, std::mt19937& rng, Bytes& out) {
  std::size_t at = 0;
  DecryptStatus status = DecryptStatus::kOk;
  while (at < stream.size()) {
    std::size_t n = 1 + rng() % (rng() % 2 ? 40 : 40000);
    n = std::min(n, stream.size() - at);
    status = dec.feed(std::span(stream).subspan(at, n), out);
    CHECK(dec.buffered() <= salt_size(Cipher::kAes256Gcm) + kMaxChunkSize);
    at += n;
  }
  return status;
}

// A salt followed by a length block saying LENGTH, sealed properly under KEY.
Bytes stream_with_length(Cipher c, const Bytes& key, std::uint16_t length) {
  const Bytes salt = counting(salt_size(c));
  detail::AeadCore core;
  REQUIRE(core.init(c, key, salt));
  Bytes out = salt;
  const std::uint8_t be[2] = {static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length)};
  out.resize(salt.size() + kLengthBlockSize);
  core.seal(be, out.data() + salt.size());
  return out;
}

}  // namespace

TEST_CASE("shadowsocks cipher names parse as shadowsocks-libev spells them", "[shadowsocks]") {
  CHECK(parse_cipher("chacha20-ietf-poly1305") == Cipher::kChacha20IetfPoly1305);
  CHECK(parse_cipher("aes-256-gcm") == Cipher::kAes256Gcm);
  CHECK(parse_cipher("aes-128-gcm") == Cipher::kAes128Gcm);
  CHECK_FALSE(parse_cipher("aes-256-cfb").has_value());
  CHECK_FALSE(parse_cipher("AES-256-GCM").has_value());
  CHECK_FALSE(parse_cipher("").has_value());
  for (Cipher c : kAllCiphers) CHECK(parse_cipher(cipher_name(c)) == c);
  CHECK(key_size(Cipher::kChacha20IetfPoly1305) == 32);
  CHECK(key_size(Cipher::kAes256Gcm) == 32);
  CHECK(key_size(Cipher::kAes128Gcm) == 16);
  for (Cipher c : kAllCiphers) CHECK(salt_size(c) == key_size(c));
}

TEST_CASE("shadowsocks password keys match openssl enc's EVP_BytesToKey", "[shadowsocks]") {
  // From `openssl enc -aes-256-cbc -k foobar -nosalt -md md5 -P` (key=, then iv= continues it).
  const Bytes expected = from_hex("3858F62230AC3C915F300C664312C63F568378529614D22DDB49237D2F60BFDF");
  CHECK(password_to_key("foobar", 32) == expected);
  CHECK(password_to_key("foobar", 16) == Bytes(expected.begin(), expected.begin() + 16));
  CHECK(password_to_key("foobar", 48) ==
        [&] {
          Bytes b = expected;
          const Bytes iv = from_hex("0EBF5878E82AF7DA618ED56FC67D4AB7");
          b.insert(b.end(), iv.begin(), iv.end());
          return b;
        }());
  CHECK(password_to_key("foobar", 0).empty());
  CHECK(password_to_key("foobaz", 32) != expected);
}

TEST_CASE("shadowsocks hkdf-sha1 matches the RFC 5869 test vectors", "[shadowsocks]") {
  Bytes okm(42);
  // Test case 4
  REQUIRE(hkdf_sha1(from_hex("0b0b0b0b0b0b0b0b0b0b0b"), from_hex("000102030405060708090a0b0c"),
                    from_hex("f0f1f2f3f4f5f6f7f8f9"), okm));
  CHECK(okm == from_hex("085a01ea1b10f36933068b56efa5ad81a4f14b822f5b091568a9cdd4f155fda2c22e422478d305f3f896"));
  // Test case 7: no salt, no info
  REQUIRE(hkdf_sha1(Bytes(22, 0x0c), {}, {}, okm));
  CHECK(okm == from_hex("2c91117204d745f3500d636a62f64f0ab3bae548aa53d423b0d1f27ebba6f5e5673a081d70cce7acfc48"));
  Bytes too_long(255 * 20 + 1);
  CHECK_FALSE(hkdf_sha1(Bytes(22, 0x0c), {}, {}, too_long));
}

TEST_CASE("shadowsocks chunks match an independent implementation byte for byte", "[shadowsocks]") {
  // Computed with pyca/cryptography: salt 00 01 02 ..., password "foobar", plaintext "hello".
  struct Vector {
    Cipher cipher;
    const char* hex;
  };
  const Vector vectors[] = {
      {Cipher::kChacha20IetfPoly1305,
       "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f5d928c1cfb3122f507f35f22a7e52bf8f7bfc7e7dd"
       "301fb288ad174e3e1e3ac4c53ea7748f656e"},
      {Cipher::kAes256Gcm,
       "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f26f9be83b7ef304a4e248038bf9e2e6680cd4f761c"
       "a4420d8bd4ed80f25bb19a832d5bcd4ab426"},
      {Cipher::kAes128Gcm,
       "000102030405060708090a0b0c0d0e0ff84b9cc69ae6388cf048d4698de9491ca6e15761c1b623fa94803f4a9586911f824240b6bd"
       "e8c9"},
  };
  for (const auto& v : vectors) {
    INFO(cipher_name(v.cipher));
    const Bytes key = password_to_key("foobar", key_size(v.cipher));
    auto enc = AeadEncryptor::create_with_salt(v.cipher, key, counting(salt_size(v.cipher)));
    REQUIRE(enc.has_value());
    Bytes out;
    enc->seal(to_bytes("hello"), out);
    CHECK(out == from_hex(v.hex));

    auto dec = AeadDecryptor::create(v.cipher, key);
    REQUIRE(dec.has_value());
    Bytes plain;
    CHECK(dec->feed(from_hex(v.hex), plain) == DecryptStatus::kOk);
    CHECK(plain == to_bytes("hello"));
  }
}

TEST_CASE("shadowsocks streams round-trip for every cipher at random split points", "[shadowsocks]") {
  std::mt19937 rng(4242);
  for (Cipher c : kAllCiphers) {
    INFO(cipher_name(c));
    const Bytes key = key_for(c);
    for (std::size_t size : {std::size_t{0}, std::size_t{1}, kMaxPayloadSize, kMaxPayloadSize + 1,
                             std::size_t{3} * kMaxPayloadSize + 7, std::size_t{100000}}) {
      INFO(size);
      const Bytes plain = random_bytes(rng, size);
      auto enc = AeadEncryptor::create(c, key);
      REQUIRE(enc.has_value());
      Bytes wire;
      // Several seal calls of random sizes: the salt goes out once, the nonce keeps counting.
      for (std::size_t at = 0; at < plain.size() || at == 0;) {
        const std::size_t n = std::min<std::size_t>(plain.size() - at, rng() % 50000);
        enc->seal(std::span(plain).subspan(at, n), wire);
        at += n;
        if (plain.empty()) break;
      }
      CHECK(std::equal(enc->salt().begin(), enc->salt().end(), wire.begin()));
      for (int round = 0; round < 3; ++round) {
        auto dec = AeadDecryptor::create(c, key);
        REQUIRE(dec.has_value());
        Bytes got;
        CHECK(feed_in_pieces(*dec, wire, rng, got) == DecryptStatus::kOk);
        CHECK(got == plain);
        CHECK(dec->buffered() == 0);
      }
    }
  }
}

TEST_CASE("shadowsocks seal splits plaintext into chunks of at most 0x3FFF bytes", "[shadowsocks]") {
  const Bytes key = key_for(Cipher::kAes128Gcm);
  auto enc = AeadEncryptor::create(Cipher::kAes128Gcm, key);
  REQUIRE(enc.has_value());
  Bytes wire;
  enc->seal(Bytes(kMaxPayloadSize + 1), wire);
  CHECK(wire.size() == 16 + 2 * (kLengthBlockSize + kTagSize) + kMaxPayloadSize + 1);
  const std::size_t before = wire.size();
  enc->seal({}, wire);  // no zero-length chunk, no second salt
  CHECK(wire.size() == before);
  enc->seal(Bytes(1), wire);
  CHECK(wire.size() == before + kLengthBlockSize + 1 + kTagSize);
}

TEST_CASE("shadowsocks decryption fails on any tampered byte and stays failed", "[shadowsocks]") {
  for (Cipher c : kAllCiphers) {
    INFO(cipher_name(c));
    const Bytes key = key_for(c);
    auto enc = AeadEncryptor::create(c, key);
    REQUIRE(enc.has_value());
    Bytes wire;
    enc->seal(to_bytes("first chunk"), wire);
    const std::size_t first_end = wire.size();
    enc->seal(to_bytes("second chunk"), wire);
    const std::size_t s = salt_size(c);
    // Salt, length ciphertext, length tag, payload, payload tag of the second chunk.
    for (std::size_t at : {std::size_t{0}, s, s + 2, s + kLengthBlockSize, first_end - 1, first_end,
                           first_end + 3, first_end + kLengthBlockSize + 1, wire.size() - 1}) {
      INFO(at);
      Bytes bad = wire;
      bad[at] ^= 0x01;
      auto dec = AeadDecryptor::create(c, key);
      REQUIRE(dec.has_value());
      Bytes got;
      CHECK(dec->feed(bad, got) == DecryptStatus::kError);
      CHECK(dec->failed());
      // Only whole authenticated chunks before the damage come out.
      CHECK((got.empty() || got == to_bytes("first chunk")));
      CHECK((at < first_end) == got.empty());
      CHECK(dec->feed(wire, got) == DecryptStatus::kError);
      CHECK((got.empty() || got == to_bytes("first chunk")));
    }
  }
}

TEST_CASE("shadowsocks decryption fails under the wrong key", "[shadowsocks]") {
  auto enc = AeadEncryptor::create(Cipher::kAes256Gcm, password_to_key("right", 32));
  REQUIRE(enc.has_value());
  Bytes wire;
  enc->seal(to_bytes("secret"), wire);
  auto dec = AeadDecryptor::create(Cipher::kAes256Gcm, password_to_key("wrong", 32));
  REQUIRE(dec.has_value());
  Bytes got;
  CHECK(dec->feed(wire, got) == DecryptStatus::kError);
  CHECK(got.empty());
}

TEST_CASE("shadowsocks decryption refuses a length over 0x3FFF", "[shadowsocks]") {
  for (Cipher c : kAllCiphers) {
    const Bytes key = key_for(c);
    for (std::uint16_t length : {std::uint16_t{0x4000}, std::uint16_t{0x8001}, std::uint16_t{0xFFFF}}) {
      INFO(cipher_name(c) << " length " << length);
      auto dec = AeadDecryptor::create(c, key);
      REQUIRE(dec.has_value());
      Bytes got;
      CHECK(dec->feed(stream_with_length(c, key, length), got) == DecryptStatus::kError);
      CHECK(got.empty());
    }
    auto dec = AeadDecryptor::create(c, key);
    Bytes got;
    CHECK(dec->feed(stream_with_length(c, key, 0x3FFF), got) == DecryptStatus::kOk);
    CHECK(dec->buffered() == 0);
  }
}

TEST_CASE("shadowsocks decryption accepts a zero-length chunk from the peer", "[shadowsocks]") {
  const Cipher c = Cipher::kChacha20IetfPoly1305;
  const Bytes key = key_for(c);
  const Bytes salt = counting(32);
  detail::AeadCore core;
  REQUIRE(core.init(c, key, salt));
  Bytes wire = salt;
  wire.resize(salt.size() + kLengthBlockSize + kTagSize);
  const std::uint8_t zero[2] = {0, 0};
  core.seal(zero, wire.data() + salt.size());
  core.seal({}, wire.data() + salt.size() + kLengthBlockSize);
  auto dec = AeadDecryptor::create(c, key);
  Bytes got;
  CHECK(dec->feed(wire, got) == DecryptStatus::kOk);
  CHECK(got.empty());
  CHECK(dec->buffered() == 0);
}

TEST_CASE("shadowsocks decryption holds back an incomplete chunk until it is whole", "[shadowsocks]") {
  const Cipher c = Cipher::kAes256Gcm;
  const Bytes key = key_for(c);
  auto enc = AeadEncryptor::create(c, key);
  Bytes wire;
  enc->seal(Bytes(kMaxPayloadSize, 0xAB), wire);
  auto dec = AeadDecryptor::create(c, key);
  Bytes got;
  // Byte by byte: nothing comes out until the last tag byte, and the buffer never holds
  // more than the unit being assembled.
  for (std::size_t i = 0; i + 1 < wire.size(); ++i) {
    REQUIRE(dec->feed(std::span(wire).subspan(i, 1), got) == DecryptStatus::kOk);
    REQUIRE(got.empty());
    REQUIRE(dec->buffered() <= kMaxPayloadSize + kTagSize);
  }
  CHECK(dec->feed(std::span(wire).last(1), got) == DecryptStatus::kOk);
  CHECK(got == Bytes(kMaxPayloadSize, 0xAB));
  CHECK(dec->buffered() == 0);
}

TEST_CASE("shadowsocks sessions refuse keys of the wrong size", "[shadowsocks]") {
  CHECK_FALSE(AeadEncryptor::create(Cipher::kAes128Gcm, Bytes(32)).has_value());
  CHECK_FALSE(AeadEncryptor::create(Cipher::kAes256Gcm, Bytes(16)).has_value());
  CHECK_FALSE(AeadEncryptor::create_with_salt(Cipher::kAes256Gcm, Bytes(32), Bytes(16)).has_value());
  CHECK_FALSE(AeadDecryptor::create(Cipher::kChacha20IetfPoly1305, Bytes(31)).has_value());
  CHECK(AeadDecryptor::create(Cipher::kAes128Gcm, Bytes(16)).has_value());
}

TEST_CASE("shadowsocks encryptors pick a fresh salt for every session", "[shadowsocks]") {
  const Bytes key = key_for(Cipher::kAes256Gcm);
  auto a = AeadEncryptor::create(Cipher::kAes256Gcm, key);
  auto b = AeadEncryptor::create(Cipher::kAes256Gcm, key);
  REQUIRE((a && b));
  CHECK(a->salt().size() == 32);
  CHECK(!std::equal(a->salt().begin(), a->salt().end(), b->salt().begin()));
}

TEST_CASE("shadowsocks decryptors keep working after being moved", "[shadowsocks]") {
  const Bytes key = key_for(Cipher::kAes128Gcm);
  auto enc = AeadEncryptor::create(Cipher::kAes128Gcm, key);
  Bytes wire;
  enc->seal(to_bytes("moved"), wire);
  auto dec = AeadDecryptor::create(Cipher::kAes128Gcm, key);
  Bytes got;
  REQUIRE(dec->feed(std::span(wire).first(20), got) == DecryptStatus::kOk);
  AeadDecryptor moved = std::move(*dec);
  CHECK(moved.feed(std::span(wire).subspan(20), got) == DecryptStatus::kOk);
  CHECK(got == to_bytes("moved"));
}

TEST_CASE("shadowsocks target headers use the socks5 address forms", "[shadowsocks]") {
  CHECK(encode_target("127.0.0.1", 8388).value() == Bytes{0x01, 127, 0, 0, 1, 0x20, 0xC4});
  CHECK(encode_target("example.com", 443).value() ==
        Bytes{0x03, 11, 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm', 0x01, 0xBB});
  const Bytes v6 = encode_target("[2001:db8::2]", 80).value();
  REQUIRE(v6.size() == 1 + 16 + 2);
  CHECK(v6[0] == 0x04);
  CHECK(v6[1] == 0x20);
  CHECK(v6[16] == 0x02);
  CHECK_FALSE(encode_target("", 80).has_value());
  CHECK_FALSE(encode_target(std::string(256, 'x'), 80).has_value());
}
