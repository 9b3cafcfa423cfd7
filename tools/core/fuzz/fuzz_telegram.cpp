// Fuzz target: what the Telegram webhook and Mini App entry read from the network.
// Webhook bodies go through parse_update() (any bytes: either an Update or a usage
// Failure naming a field), and every text it yields through parse_command(); callback
// data through parse_callback(); device names through valid_device_name(), whose result
// must satisfy the devices table's rule; initData through validate_init_data(), which may
// only refuse with unauthorized.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "core/telegram/init_data.hpp"
#include "core/telegram/update.hpp"

namespace {

void check_command(const std::string& text) {
  using namespace httvps::telegram;
  for (const char* bot : {"", "HttvpsBot"}) {
    auto cmd = parse_command(text, bot);
    if (!cmd) continue;
    if (cmd->name.empty() || cmd->name.size() > 32 || text.empty() || text[0] != '/') __builtin_trap();
    if (!cmd->args.empty() && (cmd->args.front() == ' ' || cmd->args.back() == ' ')) __builtin_trap();
  }
  if (auto name = valid_device_name(text)) {
    if (name->empty() || name->size() > 64) __builtin_trap();
    for (unsigned char c : *name) {
      if (c >= 0x80 || c < 0x20) __builtin_trap();
    }
  }
  (void)parse_callback(text);
  (void)choose_language(text, {"en", "ru"});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace httvps::telegram;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    Update u = parse_update(bytes);
    if (u.update_id < 0 || u.type.empty()) __builtin_trap();
    if (u.text) {
      if (u.text->size() > kMaxTextBytes) __builtin_trap();
      check_command(*u.text);
    }
    (void)parse_callback(u.callback_data);
  } catch (const httvps::Failure& f) {
    if (f.code() != httvps::ExitCode::kUsage || f.field().empty()) __builtin_trap();
  }
  check_command(bytes);
  try {
    (void)validate_init_data(bytes, "123456:TEST-TOKEN", 1800000000, 86400);
  } catch (const httvps::Failure& f) {
    if (f.code() != httvps::ExitCode::kUnauthorized || f.field() != "init_data") __builtin_trap();
  }
  return 0;
}
