// Fuzz target: answers from ss-manager's control socket (ping's "stat: {...}" and list's JSON
// array), which arrive as datagrams from whatever answers on that address. Nothing may
// crash; every refusal is a Failure(kTempFail) starting "ss-manager: "; what parses holds
// only ports 1..65535.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "core/nodes/ss_manager.hpp"

namespace {

void check_failure(const httvps::Failure& f) {
  if (f.code() != httvps::ExitCode::kTempFail || std::string(f.what()).rfind("ss-manager: ", 0) != 0) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace httvps::nodes;
  std::string text(reinterpret_cast<const char*>(data), size);
  for (const std::string& answer : {text, "stat: " + text}) {
    try {
      for (const auto& [port, bytes] : parse_ss_manager_stat(answer)) {
        if (port < 1 || port > 65535) __builtin_trap();
        (void)bytes;
      }
    } catch (const httvps::Failure& f) {
      check_failure(f);
    }
  }
  try {
    auto ports = parse_ss_manager_list(text);
    // What the manager lists, planned against nothing wanted, is removed port by port.
    if (plan_ss_manager_changes({}, ports).removes.size() != ports.size()) __builtin_trap();
  } catch (const httvps::Failure& f) {
    check_failure(f);
  }
  try {
    check_ss_manager_ok("fuzz", text);
    if (text != "ok") __builtin_trap();
  } catch (const httvps::Failure& f) {
    check_failure(f);
  }
  return 0;
}
