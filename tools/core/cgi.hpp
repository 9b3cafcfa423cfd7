#pragma once
// The CGI front (RFC 3875). A binary started with GATEWAY_INTERFACE set reads its request
// from the environment snapshot and stdin through read_request(), and answers with
// render() on stdout: a "Status:" line, headers, a blank line, a JSON body. Errors become
// application/problem+json (RFC 9457) bodies that carry the request id.

#include <cstdint>
#include <istream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/environment.hpp"
#include "core/error.hpp"

namespace httvps::cgi {

struct Request {
  std::string method;        // REQUEST_METHOD, upper case
  std::string path;          // PATH_INFO ("/api/v1/health")
  std::string query_string;  // QUERY_STRING, raw
  std::map<std::string, std::string> query;    // decoded QUERY_STRING
  std::map<std::string, std::string> headers;  // lower-case names: "x-request-id", "authorization"
  std::string content_type;  // CONTENT_TYPE
  std::int64_t content_length = 0;
  std::string remote_addr;   // REMOTE_ADDR
  std::string request_id;    // X-Request-Id when well-formed, else generated
  std::string body;

  std::optional<std::string> header(std::string_view lower_name) const;
  std::optional<std::string> query_param(std::string_view name) const;
  // The body parsed as a JSON object. Throws Failure(kUsage) naming the problem (wrong
  // content type, not JSON, not an object) with the byte offset of a syntax error.
  nlohmann::json json_body() const;
};

// True when the process was started as a CGI program.
bool is_cgi(const Environment& env);

// A request id: the client's X-Request-Id when it is 1-128 characters of [A-Za-z0-9._:-],
// else 16 random bytes in hex.
std::string request_id_from(const Environment& env);

// Reads the request. Throws Failure(kTooLarge) when CONTENT_LENGTH exceeds MAX_BODY (after
// reading and discarding the body, so the web server can finish writing it),
// Failure(kUsage) for a malformed CONTENT_LENGTH, a short body or an undecodable query.
Request read_request(const Environment& env, std::istream& body, std::int64_t max_body);

// Reads and drops what is left of the request body (CONTENT_LENGTH bytes at most, bounded),
// for answers given before read_request() consumed it.
void drain_body(const Environment& env, std::istream& body);

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

Response json_response(int status, const nlohmann::json& body);

// RFC 9457 problem details for F: type, title, status, detail, instance, request_id,
// plus "code" (the exit-code name) and "field" when F names one. For 5xx codes the detail
// is the code's generic meaning: internal messages stay in the server's log.
Response problem_response(const Failure& f, const std::string& request_id, const std::string& instance);

// The CGI wire form: "Status: 200 OK\r\nContent-Type: ...\r\n...\r\n\r\n<body>".
std::string render(const Response& response);

std::string reason_phrase(int status);

// PATH with every segment that looks like an httvps token ("htv_…", "hts_…", "htg_…")
// shortened to its 12-character lookup prefix and "…": for logs and problem instances.
std::string redact_path(std::string_view path);

// %XX and '+' decoding; throws Failure(kUsage) on a malformed escape.
std::string url_decode(std::string_view text);
std::map<std::string, std::string> parse_query(std::string_view query);

}  // namespace httvps::cgi
