#include "core/qr.hpp"

#include <qrencode.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <memory>

#include "core/error.hpp"

namespace httvps {
namespace {

constexpr int kQuiet = 2;              // modules of quiet zone on each side
constexpr std::size_t kMaxBytes = 2331;  // version 40, level M, 8-bit mode

struct QrFree {
  void operator()(QRcode* code) const { QRcode_free(code); }
};

}  // namespace

std::vector<std::vector<bool>> qr_matrix(std::string_view text) {
  if (text.empty()) throw usage_error("qr: nothing to encode", "text");
  if (text.size() > kMaxBytes) {
    throw usage_error("qr: text of " + std::to_string(text.size()) + " bytes is too long for a QR code (at most " +
                          std::to_string(kMaxBytes) + ")",
                      "text");
  }
  errno = 0;
  std::unique_ptr<QRcode, QrFree> code(QRcode_encodeData(static_cast<int>(text.size()),
                                                         reinterpret_cast<const unsigned char*>(text.data()), 0,
                                                         QR_ECLEVEL_M));
  if (!code) {
    if (errno == ERANGE) {
      throw usage_error("qr: text of " + std::to_string(text.size()) + " bytes is too long for a QR code", "text");
    }
    throw internal_error("qr: libqrencode failed (errno " + std::to_string(errno) + ")");
  }
  const int n = code->width;
  std::vector<std::vector<bool>> rows(static_cast<std::size_t>(n), std::vector<bool>(static_cast<std::size_t>(n)));
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n; ++x) rows[y][x] = (code->data[y * n + x] & 1) != 0;  // bit 0: dark
  }
  return rows;
}

std::string render_qr_terminal(std::string_view text) {
  const auto matrix = qr_matrix(text);
  const int n = static_cast<int>(matrix.size());
  const int side = n + 2 * kQuiet;
  // Outside the symbol everything is quiet zone, hence light.
  auto light = [&](int y, int x) {
    int my = y - kQuiet;
    int mx = x - kQuiet;
    return my < 0 || mx < 0 || my >= n || mx >= n || !matrix[my][mx];
  };
  std::string out;
  out.reserve(static_cast<std::size_t>((side + 1) / 2 * (side * 3 + 1)));
  for (int y = 0; y < side; y += 2) {
    for (int x = 0; x < side; ++x) {
      bool top = light(y, x);
      bool bottom = light(y + 1, x);  // past the last row: the extended quiet zone
      if (top && bottom) out += "\u2588";       // █
      else if (top) out += "\u2580";            // ▀
      else if (bottom) out += "\u2584";         // ▄
      else out += ' ';
    }
    out += '\n';
  }
  return out;
}

namespace {

std::uint32_t crc32(const std::string& data, std::size_t from) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t n = 0; n < 256; ++n) {
      std::uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::size_t i = from; i < data.size(); ++i) c = table[(c ^ static_cast<unsigned char>(data[i])) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

void put32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xFF);
}

void chunk(std::string& png, const char* type, const std::string& data) {
  put32(png, static_cast<std::uint32_t>(data.size()));
  const std::size_t start = png.size();
  png += type;
  png += data;
  put32(png, crc32(png, start));
}

// A zlib stream of stored (uncompressed) deflate blocks.
std::string zlib_stored(const std::string& raw) {
  std::string out = "\x78\x01";
  std::size_t pos = 0;
  do {
    const std::size_t len = std::min<std::size_t>(65535, raw.size() - pos);
    const bool last = pos + len == raw.size();
    out += static_cast<char>(last ? 1 : 0);
    out += static_cast<char>(len & 0xFF);
    out += static_cast<char>(len >> 8);
    out += static_cast<char>(~len & 0xFF);
    out += static_cast<char>((~len >> 8) & 0xFF);
    out.append(raw, pos, len);
    pos += len;
  } while (pos < raw.size());
  std::uint32_t a = 1;
  std::uint32_t b = 0;
  for (unsigned char c : raw) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  put32(out, (b << 16) | a);
  return out;
}

}  // namespace

std::string render_qr_png(std::string_view text, int scale) {
  if (scale < 1 || scale > 32) throw usage_error("QR scale must be between 1 and 32");
  constexpr int kPngQuiet = 4;
  const auto matrix = qr_matrix(text);
  const int n = static_cast<int>(matrix.size());
  const int side = (n + 2 * kPngQuiet) * scale;
  const std::size_t row_bytes = static_cast<std::size_t>((side + 7) / 8);
  std::string raw;
  raw.reserve((row_bytes + 1) * static_cast<std::size_t>(side));
  for (int y = 0; y < side; ++y) {
    raw += '\0';  // filter: none
    std::string row(row_bytes, '\0');
    for (int x = 0; x < side; ++x) {
      const int my = y / scale - kPngQuiet;
      const int mx = x / scale - kPngQuiet;
      const bool dark = my >= 0 && mx >= 0 && my < n && mx < n && matrix[my][mx];
      if (!dark) row[static_cast<std::size_t>(x / 8)] = static_cast<char>(row[static_cast<std::size_t>(x / 8)] | (0x80 >> (x % 8)));
    }
    raw += row;
  }
  std::string png = "\x89PNG\r\n\x1a\n";
  std::string ihdr;
  put32(ihdr, static_cast<std::uint32_t>(side));
  put32(ihdr, static_cast<std::uint32_t>(side));
  ihdr += '\x01';  // bit depth 1
  ihdr += '\x00';  // greyscale
  ihdr += std::string(3, '\0');  // deflate, adaptive filtering, no interlace
  chunk(png, "IHDR", ihdr);
  chunk(png, "IDAT", zlib_stored(raw));
  chunk(png, "IEND", "");
  return png;
}

}  // namespace httvps
