#pragma once
// Test helper: byte vectors from integer lists or text.

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

namespace httvps::tunnel::testing {

using Bytes = std::vector<std::uint8_t>;

inline Bytes bytes(std::initializer_list<int> list) {
  Bytes out;
  for (int b : list) out.push_back(static_cast<std::uint8_t>(b));
  return out;
}

inline Bytes bytes(std::string_view text) { return Bytes(text.begin(), text.end()); }

}  // namespace httvps::tunnel::testing
