// Fuzz target: a configuration file. Any text either configures or fails with a message
// that names the file; nothing crashes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/config.hpp"
#include "core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  httvps::Config config;
  try {
    httvps::apply_toml(config, text, "fuzz.toml");
    httvps::validate(config);
  } catch (const httvps::Failure& f) {
    std::string m = f.what();
    if (m.empty()) __builtin_trap();
  }
  return 0;
}
