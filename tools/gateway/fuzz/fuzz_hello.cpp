// Fuzz target: the gateway's HELLO parser. Checked: no crash; an accepted HELLO keeps the
// documented bounds; a refused one says why.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/hello.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;
  auto hello = httvps::gateway::parse_hello(text, error);
  if (hello) {
    if (hello->token.size() < 4 || hello->token.size() > 200) __builtin_trap();
    if (hello->hwid.size() > 256 || hello->client.size() > 100) __builtin_trap();
    if (hello->window && (*hello->window < 16384 || *hello->window > 16777216)) __builtin_trap();
  } else if (error.empty()) {
    __builtin_trap();
  }
  return 0;
}
