// Fuzz target: reading the gateway's usage spool at start-up (spool.hpp). The file is the
// gateway's own, but a crash can tear it and a disk can corrupt it. Checked: no crash;
// every pending batch has a body and a sequence at or below the highest one; a spool
// that opened takes one more batch with a larger sequence, and reads back the same.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "gateway/spool.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string dir = [] {
    char templ[] = "/tmp/httvps-fuzz-spool-XXXXXX";
    return std::string(mkdtemp(templ));
  }();
  {
    std::ofstream out(dir + "/usage.spool", std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  std::string error;
  std::vector<std::string> warnings;
  auto spool = httvps::gateway::Spool::open(dir, error, warnings);
  if (!spool) {
    if (error.empty()) __builtin_trap();
    return 0;
  }
  for (const auto& b : spool->pending()) {
    if (b.seq > spool->last_seq() || !b.body.is_object()) __builtin_trap();
  }
  std::size_t before = spool->pending().size();
  std::int64_t last = spool->last_seq();
  if (!spool->append(nlohmann::json::array(), {}, {}, 1795000000, error)) return 0;
  if (spool->pending().back().seq <= last) __builtin_trap();
  auto again = httvps::gateway::Spool::open(dir, error, warnings);
  if (!again || again->pending().size() != before + 1) __builtin_trap();
  return 0;
}
