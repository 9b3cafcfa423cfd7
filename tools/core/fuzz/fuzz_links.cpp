// Fuzz target: share links (httvps://, ss://, vless://) as a device or an importer would
// paste them. Nothing may crash; every refusal is a Failure with a message; whatever
// parses must build again, and parsing the built link must give the same fields back.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "core/links.hpp"

namespace {

// Parses TEXT with PARSE; on success, builds it with BUILD and parses that again.
template <typename Parse, typename Build>
void round_trip(const std::string& text, Parse parse, Build build) {
  decltype(parse(text)) first;
  try {
    first = parse(text);
  } catch (const httvps::Failure& f) {
    if (std::string(f.what()).empty() || f.field() != "uri") __builtin_trap();
    return;
  }
  try {
    std::string link = build(first);
    if (!(parse(link) == first)) __builtin_trap();
  } catch (const httvps::Failure&) {
    __builtin_trap();  // a parsed link must always build and parse back
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace httvps::links;
  std::string text(reinterpret_cast<const char*>(data), size);
  round_trip(text, parse_httvps, build_httvps);
  round_trip(text, parse_ss, build_ss);
  round_trip(text, parse_vless, build_vless);
  // The same bytes behind each scheme, so the mutations reach past the scheme check.
  std::string body = text.substr(text.find("://") == std::string::npos ? 0 : text.find("://") + 3);
  round_trip("httvps://" + body, parse_httvps, build_httvps);
  round_trip("ss://" + body, parse_ss, build_ss);
  round_trip("vless://" + body, parse_vless, build_vless);
  try {
    (void)outline_json(parse_ss(text));
  } catch (const httvps::Failure&) {
  }
  try {
    (void)gateway_from_url(text);
  } catch (const httvps::Failure& f) {
    if (f.code() != httvps::ExitCode::kConfig) __builtin_trap();
  }
  return 0;
}
