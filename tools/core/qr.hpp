#pragma once
// QR codes for share links, drawn in a terminal (and, later, as PNG) with libqrencode:
// error-correction level M, 8-bit mode, the smallest version that holds the text. Pure
// functions; both throw Failure(kUsage) when the text is empty or too long for a QR code
// (more than 2331 bytes at level M).

#include <string>
#include <string_view>
#include <vector>

namespace httvps {

// The modules of the QR code of TEXT, row by row, true = dark; square, 21 + 4k modules
// a side (version k + 1), without the quiet zone.
std::vector<std::vector<bool>> qr_matrix(std::string_view text);

// The QR code of TEXT as lines of Unicode half blocks ("▀", "▄", "█" and space), two
// module rows per line, with a 2-module quiet zone on every side (the zone is extended by
// one light row at the bottom when the row count is odd). Every line holds size + 4
// characters of display width 1 and ends with '\n'.
//
// Colours: characters drawn in the terminal's foreground colour are the LIGHT modules and
// blanks (the background) are the dark ones, the convention of `qrencode -t UTF8`. The
// code therefore scans on the usual light-on-dark terminal; on a dark-on-light terminal
// it comes out inverted, which most phone scanners still read (print it in reverse video,
// "\x1b[7m" ... "\x1b[0m", to be safe there).
std::string render_qr_terminal(std::string_view text);

// The QR code of TEXT as a PNG image (1-bit greyscale, dark modules black), SCALE pixels
// per module (1 to 32) and a 4-module quiet zone, as the QR standard asks for images.
// Uncompressed (stored deflate blocks): a few tens of kilobytes, no zlib needed.
std::string render_qr_png(std::string_view text, int scale = 8);

}  // namespace httvps
