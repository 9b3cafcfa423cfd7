#include "core/qr.hpp"

#include <qrencode.h>

#include <cerrno>
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

}  // namespace httvps
