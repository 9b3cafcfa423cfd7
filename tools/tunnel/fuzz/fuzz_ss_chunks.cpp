// Fuzz target: the Shadowsocks AEAD chunk reader (AeadDecryptor) and its writer.
// Input layout: bytes 0-31 pick the cipher (byte 0 mod 3) and the master key (the first
// key_size bytes); byte 32 seeds the split points; the rest is a stream as a node would
// send it. Checked:
//  - feeding the stream in pieces gives the same status and plaintext as feeding it whole,
//    and nothing more comes out once the reader has failed;
//  - the reader never holds more than a salt plus one chunk;
//  - the stream bytes, sealed in pieces by an AeadEncryptor, decrypt back to themselves
//    at any split.
// Seeds hold real streams under their header's key, so mutations reach the payload states.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "tunnel/shadowsocks.hpp"

namespace {

using httvps::tunnel::AeadDecryptor;
using httvps::tunnel::AeadEncryptor;
using httvps::tunnel::Cipher;
using httvps::tunnel::DecryptStatus;

constexpr std::size_t kHeader = 33;

// Split sizes from the seed byte: mostly tiny pieces (to cut salts, length blocks and tags
// apart), sometimes whole chunks or more.
class Splitter {
 public:
  explicit Splitter(std::uint8_t seed) : state_(0x9E3779B97F4A7C15ULL ^ seed) {}
  std::size_t next(std::size_t left) {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    const std::size_t limits[] = {1, 3, 17, 64, 1000, 20000};
    const std::size_t n = 1 + static_cast<std::size_t>(state_ >> 8) % limits[state_ % 6];
    return n < left ? n : left;
  }

 private:
  std::uint64_t state_;
};

DecryptStatus feed_split(AeadDecryptor& dec, std::span<const std::uint8_t> stream, std::uint8_t seed,
                         std::vector<std::uint8_t>& out) {
  Splitter split(seed);
  DecryptStatus status = DecryptStatus::kOk;
  while (!stream.empty()) {
    const std::size_t n = split.next(stream.size());
    const DecryptStatus s = dec.feed(stream.first(n), out);
    if (status == DecryptStatus::kError && s != DecryptStatus::kError) __builtin_trap();  // sticky
    status = s;
    if (dec.buffered() > 32 + httvps::tunnel::kMaxChunkSize) __builtin_trap();
    stream = stream.subspan(n);
  }
  return status;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace httvps::tunnel;
  if (size < kHeader) return 0;
  const Cipher cipher = static_cast<Cipher>(data[0] % 3);
  const std::span<const std::uint8_t> key(data, key_size(cipher));
  const std::uint8_t seed = data[32];
  const std::span<const std::uint8_t> stream(data + kHeader, size - kHeader);

  // The stream as received: whole versus in pieces.
  auto whole = AeadDecryptor::create(cipher, key);
  auto pieces = AeadDecryptor::create(cipher, key);
  if (!whole || !pieces) __builtin_trap();
  std::vector<std::uint8_t> out_whole, out_pieces;
  const DecryptStatus s_whole = whole->feed(stream, out_whole);
  const DecryptStatus s_pieces = feed_split(*pieces, stream, seed, out_pieces);
  if (s_whole != s_pieces || out_whole != out_pieces) __builtin_trap();
  const std::size_t before = out_pieces.size();
  if (s_pieces == DecryptStatus::kError && (pieces->feed(stream, out_pieces) != DecryptStatus::kError ||
                                            out_pieces.size() != before)) {
    __builtin_trap();
  }

  // The stream as plaintext: sealed in pieces, opened in pieces.
  std::vector<std::uint8_t> salt(key.begin(), key.end());
  for (auto& b : salt) b ^= 0x5A;
  auto enc = AeadEncryptor::create_with_salt(cipher, key, salt);
  auto dec = AeadDecryptor::create(cipher, key);
  if (!enc || !dec) __builtin_trap();
  std::vector<std::uint8_t> wire;
  Splitter split(static_cast<std::uint8_t>(seed ^ 0xFF));
  for (auto rest = stream; !rest.empty();) {
    const std::size_t n = split.next(rest.size());
    enc->seal(rest.first(n), wire);
    rest = rest.subspan(n);
  }
  std::vector<std::uint8_t> back;
  if (feed_split(*dec, wire, seed, back) != DecryptStatus::kOk || back.size() != stream.size() ||
      !std::equal(back.begin(), back.end(), stream.begin()) || dec->buffered() != 0) {
    __builtin_trap();
  }
  return 0;
}
