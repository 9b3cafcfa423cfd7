#include "core/qr.hpp"

#include <catch2/catch.hpp>

#include "core/error.hpp"

using httvps::qr_matrix;
using httvps::render_qr_terminal;

namespace {

constexpr const char* kLink = "ss://YWVzLTEyOC1nY206dGVzdA@192.168.100.1:8888#Example1";

// The code points of one UTF-8 line.
std::vector<std::string> code_points(const std::string& line) {
  std::vector<std::string> out;
  for (char c : line) {
    if ((static_cast<unsigned char>(c) & 0xc0) == 0x80) out.back() += c;
    else out.emplace_back(1, c);
  }
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  CHECK(start == text.size());  // every line ends with '\n'
  return out;
}

}  // namespace

TEST_CASE("qr matrices are square with 21 + 4k modules a side", "[qr]") {
  for (std::size_t length : {1, 14, 15, 100, 1000, 2331}) {
    INFO(length);
    auto m = qr_matrix(std::string(length, 'a'));
    REQUIRE(m.size() >= 21);
    CHECK((m.size() - 21) % 4 == 0);
    for (const auto& row : m) CHECK(row.size() == m.size());
  }
  CHECK(qr_matrix("a").size() == 21);                   // version 1
  CHECK(qr_matrix(std::string(15, 'a')).size() == 25);  // past the 14 bytes of 1-M
  CHECK(qr_matrix(std::string(2331, 'a')).size() == 177);  // version 40
}

TEST_CASE("qr matrices have the three finder patterns", "[qr]") {
  auto m = qr_matrix(kLink);
  const int n = static_cast<int>(m.size());
  for (auto [top, left] : {std::pair{0, 0}, std::pair{0, n - 7}, std::pair{n - 7, 0}}) {
    INFO(top << "," << left);
    for (int y = 0; y < 7; ++y) {
      for (int x = 0; x < 7; ++x) {
        bool border = y == 0 || y == 6 || x == 0 || x == 6;
        bool ring = !border && (y == 1 || y == 5 || x == 1 || x == 5);
        CHECK(m[top + y][left + x] == !ring);
      }
    }
  }
  // No finder pattern in the fourth corner.
  bool all_dark = true;
  for (int x = 0; x < 7; ++x) all_dark = all_dark && m[n - 1][n - 1 - x];
  CHECK_FALSE(all_dark);
}

TEST_CASE("qr terminal rendering draws light modules in half blocks with a quiet zone", "[qr]") {
  auto m = qr_matrix(kLink);
  const int n = static_cast<int>(m.size());
  const int side = n + 4;
  auto lines = lines_of(render_qr_terminal(kLink));
  REQUIRE(static_cast<int>(lines.size()) == (side + 1) / 2);
  // Decode the blocks back into light/dark modules and compare with the matrix.
  std::vector<std::vector<bool>> light(static_cast<std::size_t>(lines.size() * 2), std::vector<bool>(side));
  for (std::size_t l = 0; l < lines.size(); ++l) {
    auto cells = code_points(lines[l]);
    REQUIRE(static_cast<int>(cells.size()) == side);
    for (int x = 0; x < side; ++x) {
      const std::string& c = cells[x];
      REQUIRE((c == "\u2588" || c == "\u2580" || c == "\u2584" || c == " "));
      light[2 * l][x] = c == "\u2588" || c == "\u2580";
      light[2 * l + 1][x] = c == "\u2588" || c == "\u2584";
    }
  }
  for (int y = 0; y < static_cast<int>(light.size()); ++y) {
    for (int x = 0; x < side; ++x) {
      bool inside = y >= 2 && x >= 2 && y < n + 2 && x < n + 2;
      INFO(y << "," << x);
      CHECK(light[y][x] == (inside ? !m[y - 2][x - 2] : true));
    }
  }
}

TEST_CASE("qr codes refuse text that does not fit and empty text", "[qr]") {
  try {
    render_qr_terminal(std::string(5000, 'x'));
    FAIL("accepted");
  } catch (const httvps::Failure& f) {
    CHECK(f.code() == httvps::ExitCode::kUsage);
    CHECK(std::string(f.what()) == "qr: text of 5000 bytes is too long for a QR code (at most 2331)");
  }
  CHECK_THROWS_AS(qr_matrix(std::string(2332, 'x')), httvps::Failure);
  CHECK_THROWS_AS(qr_matrix(""), httvps::Failure);
}
