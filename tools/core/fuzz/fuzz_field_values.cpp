// Fuzz target: every value an admin can type (sizes, durations, rates, timestamps, field
// values of every resource). Values that parse must survive their round trips.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/admin/resources.hpp"
#include "core/error.hpp"
#include "core/units.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  using namespace httvps;
  try {
    std::int64_t t = units::parse_timestamp(text);
    if (units::parse_timestamp(units::format_timestamp(t)) != t) __builtin_trap();
  } catch (const Failure&) {
  }
  try {
    std::int64_t b = units::parse_bytes(text);
    if (b < 0) __builtin_trap();
  } catch (const Failure&) {
  }
  try {
    std::int64_t d = units::parse_duration(text);
    if (d < 0) __builtin_trap();
    (void)units::format_duration(d);
  } catch (const Failure&) {
  }
  try {
    (void)units::format_rate(units::parse_rate(text));
  } catch (const Failure&) {
  }
  for (const auto& spec : admin::resources()) {
    for (const auto& field : spec.fields) {
      try {
        (void)admin::parse_field(field, text);
      } catch (const Failure& f) {
        if (f.field() != field.name) __builtin_trap();
      }
    }
  }
  return 0;
}
