// Fuzz target: a CGI request from hostile input. Line 1 is QUERY_STRING, line 2
// CONTENT_TYPE, line 3 X-Request-Id, the rest the body. Nothing may crash; every
// refusal must be a Failure with a non-empty message.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "core/cgi.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  auto take_line = [&input]() {
    auto nl = input.find('\n');
    std::string line = input.substr(0, nl);
    input = nl == std::string::npos ? std::string() : input.substr(nl + 1);
    return line;
  };
  std::string query = take_line();
  std::string type = take_line();
  std::string rid = take_line();
  httvps::Environment env(std::map<std::string, std::string>{
      {"GATEWAY_INTERFACE", "CGI/1.1"}, {"REQUEST_METHOD", "POST"},       {"PATH_INFO", "/api/v1/x"},
      {"QUERY_STRING", query},          {"CONTENT_TYPE", type},            {"HTTP_X_REQUEST_ID", rid},
      {"CONTENT_LENGTH", std::to_string(input.size())}});
  std::istringstream body(input);
  try {
    httvps::cgi::Request r = httvps::cgi::read_request(env, body, 4096);
    if (r.body.size() != input.size()) __builtin_trap();
    if (r.request_id.empty() || r.request_id.size() > 128) __builtin_trap();
    (void)r.json_body();
  } catch (const httvps::Failure& f) {
    if (std::string(f.what()).empty()) __builtin_trap();
  }
  return 0;
}
