// Fuzz target: answers of an Outline server's Management API (access keys, transfer metrics,
// error bodies), which come from a remote server. Nothing may crash; every refusal is a
// Failure(kTempFail) starting "outline: "; parsed key ids are plain path segments.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "core/nodes/outline.hpp"

namespace {

void check_failure(const httvps::Failure& f) {
  if (f.code() != httvps::ExitCode::kTempFail || std::string(f.what()).rfind("outline: ", 0) != 0) __builtin_trap();
}

void check_id(const std::string& id) {
  try {
    httvps::nodes::validate_outline_key_id(id);
  } catch (const httvps::Failure&) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace httvps::nodes;
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    for (const auto& key : parse_outline_access_keys(text)) check_id(key.id);
  } catch (const httvps::Failure& f) {
    check_failure(f);
  }
  try {
    auto key = parse_outline_access_key(text);
    check_id(key.id);
    if (key.port < 0 || key.port > 65535) __builtin_trap();
  } catch (const httvps::Failure& f) {
    check_failure(f);
  }
  try {
    for (const auto& entry : parse_outline_transfer(text)) check_id(entry.first);
  } catch (const httvps::Failure& f) {
    check_failure(f);
  }
  if (outline_error_text(text).size() > 200) __builtin_trap();
  // apiUrl and certSha256 come from configuration: refusals are config errors.
  try {
    (void)parse_outline_api_url(text);
  } catch (const httvps::Failure& f) {
    if (f.code() != httvps::ExitCode::kConfig) __builtin_trap();
  }
  try {
    if (normalize_cert_sha256(text).size() != 64) __builtin_trap();
  } catch (const httvps::Failure& f) {
    if (f.code() != httvps::ExitCode::kConfig) __builtin_trap();
  }
  return 0;
}
