#include "core/crypto.hpp"

#include <catch2/catch.hpp>
#include <set>

#include "core/error.hpp"

using namespace httvps::crypto;

TEST_CASE("base64 round-trips every length and both alphabets", "[crypto]") {
  std::string data;
  for (int n = 0; n < 70; ++n) {
    INFO(n);
    CHECK(base64_decode(base64_encode(data)) == data);
    CHECK(base64_decode(base64url_encode(data)) == data);
    data += static_cast<char>(n * 37 + 250);
  }
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64url_encode("\xfb\xff") == "-_8");
}

TEST_CASE("base64 decoding refuses characters outside the alphabets", "[crypto]") {
  CHECK_THROWS_AS(base64_decode("Zm9v!"), httvps::Failure);
  CHECK_THROWS_AS(base64_decode("Z"), httvps::Failure);
}

TEST_CASE("sha256 and hmac-sha256 match the published test vectors", "[crypto]") {
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test case 2
  CHECK(hex_encode(hmac_sha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("constant-time comparison agrees with ordinary equality", "[crypto]") {
  CHECK(constant_time_equal("abc", "abc"));
  CHECK_FALSE(constant_time_equal("abc", "abd"));
  CHECK_FALSE(constant_time_equal("abc", "abcd"));
  CHECK(constant_time_equal("", ""));
}

TEST_CASE("random tokens carry their prefix and do not repeat", "[crypto]") {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string t = random_token("htv_", 32);
    CHECK(t.rfind("htv_", 0) == 0);
    CHECK(t.size() == 4 + 43);
    CHECK(seen.insert(t).second);
  }
}

TEST_CASE("scrypt password hashes verify the right password only", "[crypto]") {
  ScryptParams fast{10, 8, 1};
  std::string h = hash_password("correct horse battery", fast);
  CHECK(h.rfind("scrypt$ln=10,r=8,p=1$", 0) == 0);
  CHECK(verify_password("correct horse battery", h));
  CHECK_FALSE(verify_password("correct horse batterY", h));
  CHECK(hash_password("correct horse battery", fast) != h);  // salted
}

TEST_CASE("malformed password hashes never verify", "[crypto]") {
  for (const char* bad : {"", "scrypt", "scrypt$ln=10,r=8,p=1$", "bcrypt$x$y$z", "scrypt$ln=99,r=8,p=1$AAAA$AAAA",
                          "scrypt$ln=10,r=8,p=1$!!!$AAAA"}) {
    INFO(bad);
    CHECK_FALSE(verify_password("x", bad));
  }
}

TEST_CASE("sealed secrets open with the same key and context only", "[crypto]") {
  std::string key(32, 'k');
  std::string sealed = seal(key, "ss-password", "device_credentials:1");
  CHECK(sealed.rfind("v1.", 0) == 0);
  CHECK(sealed.find("ss-password") == std::string::npos);
  CHECK(open(key, sealed, "device_credentials:1") == "ss-password");
  CHECK_THROWS_AS(open(std::string(32, 'x'), sealed, "device_credentials:1"), httvps::Failure);
  CHECK_THROWS_AS(open(key, sealed, "device_credentials:2"), httvps::Failure);
  std::string tampered = sealed;
  tampered[10] = tampered[10] == 'A' ? 'B' : 'A';
  CHECK_THROWS_AS(open(key, tampered, "device_credentials:1"), httvps::Failure);
  CHECK_THROWS_AS(open(key, "v2.abc", "x"), httvps::Failure);
  CHECK_THROWS_AS(open(key, "v1.", "x"), httvps::Failure);
}

TEST_CASE("secret keys must be base64 of exactly 32 bytes", "[crypto]") {
  CHECK(decode_key(base64_encode(std::string(32, '\x01'))).size() == 32);
  CHECK_THROWS_AS(decode_key(base64_encode(std::string(16, '\x01'))), httvps::Failure);
  CHECK_THROWS_AS(decode_key("not base64!"), httvps::Failure);
}
