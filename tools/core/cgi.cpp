#include "core/cgi.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/crypto.hpp"
#include "core/exit_code.hpp"

namespace httvps::cgi {
namespace {

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '_' || c == '-' || c == ':';
  });
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Reads and drops up to N bytes (bounded by kMaxDiscard: the web server's own body limit
// is far below it).
void discard(std::istream& in, std::int64_t n) {
  constexpr std::int64_t kMaxDiscard = 256LL << 20;
  std::int64_t left = std::min(n, kMaxDiscard);
  char buf[65536];
  while (left > 0 && in) {
    in.read(buf, static_cast<std::streamsize>(std::min<std::int64_t>(left, sizeof buf)));
    if (in.gcount() <= 0) break;
    left -= in.gcount();
  }
}

}  // namespace

std::optional<std::string> Request::header(std::string_view lower_name) const {
  auto it = headers.find(std::string(lower_name));
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  auto it = query.find(std::string(name));
  if (it == query.end()) return std::nullopt;
  return it->second;
}

nlohmann::json Request::json_body() const {
  std::string type = lower(content_type);
  if (auto semi = type.find(';'); semi != std::string::npos) type.resize(semi);
  while (!type.empty() && type.back() == ' ') type.pop_back();
  if (type != "application/json") {
    throw usage_error("request body must be application/json, not '" + content_type + "'", "Content-Type");
  }
  if (body.empty()) throw usage_error("request body is empty; expected a JSON object", "body");
  try {
    auto j = nlohmann::json::parse(body);
    if (!j.is_object()) throw usage_error("request body must be a JSON object", "body");
    return j;
  } catch (const nlohmann::json::parse_error& e) {
    throw usage_error("request body is not valid JSON (at byte " + std::to_string(e.byte) + ")", "body");
  }
}

bool is_cgi(const Environment& env) { return env.has("GATEWAY_INTERFACE"); }

std::string request_id_from(const Environment& env) {
  if (auto id = env.get("HTTP_X_REQUEST_ID"); id && valid_request_id(*id)) return *id;
  auto b = crypto::random_bytes(16);
  return crypto::hex_encode(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}

Request read_request(const Environment& env, std::istream& body, std::int64_t max_body) {
  Request r;
  r.method = env.get("REQUEST_METHOD").value_or("GET");
  std::transform(r.method.begin(), r.method.end(), r.method.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  r.path = env.get("PATH_INFO").value_or("");
  if (r.path.empty()) r.path = env.get("SCRIPT_NAME").value_or("/");
  r.query_string = env.get("QUERY_STRING").value_or("");
  r.content_type = env.get("CONTENT_TYPE").value_or("");
  r.remote_addr = env.get("REMOTE_ADDR").value_or("");
  r.request_id = request_id_from(env);
  for (const auto& [name, value] : env.all()) {
    if (!name.starts_with("HTTP_")) continue;
    std::string h = lower(name.substr(5));
    std::replace(h.begin(), h.end(), '_', '-');
    r.headers[h] = value;
  }

  // The body is consumed before anything can fail: fcgiwrap writes the whole body into
  // the CGI's stdin before it reads the answer, so a CGI that answers early on a large
  // body makes fcgiwrap fail the write and turn the answer into a 502.
  std::string length_text = env.get("CONTENT_LENGTH").value_or("");
  if (!length_text.empty()) {
    std::int64_t n = -1;
    auto [ptr, ec] = std::from_chars(length_text.data(), length_text.data() + length_text.size(), n);
    if (ec != std::errc() || ptr != length_text.data() + length_text.size() || n < 0) {
      throw usage_error("malformed Content-Length '" + length_text + "'", "Content-Length");
    }
    if (n > max_body) {
      discard(body, n);
      throw Failure(ExitCode::kTooLarge, "request body of " + std::to_string(n) + " bytes exceeds the limit of " +
                                             std::to_string(max_body) + " bytes",
                    "body");
    }
    r.content_length = n;
    r.body.resize(static_cast<std::size_t>(n));
    body.read(r.body.data(), n);
    if (body.gcount() != n) {
      throw usage_error("request body is shorter than its Content-Length of " + std::to_string(n), "body");
    }
  }
  r.query = parse_query(r.query_string);
  return r;
}

void drain_body(const Environment& env, std::istream& body) {
  std::string length_text = env.get("CONTENT_LENGTH").value_or("");
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(length_text.data(), length_text.data() + length_text.size(), n);
  if (ec == std::errc() && ptr == length_text.data() + length_text.size() && n > 0) discard(body, n);
}

Response json_response(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Response problem_response(const Failure& f, const std::string& request_id, const std::string& instance) {
  const auto& info = exit_code_info(f.code());
  // 5xx details (database errors, file paths) stay in the log; clients get the meaning.
  const std::string detail = info.http_status >= 500 ? std::string(info.meaning) : std::string(f.what());
  nlohmann::json p = {
      {"type", "https://httvps.dev/problems/" + std::string(info.name)},
      {"title", info.http_title},
      {"status", info.http_status},
      {"detail", detail},
      {"code", info.name},
      {"instance", instance},
      {"request_id", request_id},
  };
  if (!f.field().empty()) p["field"] = f.field();
  Response r = json_response(info.http_status, p);
  r.content_type = "application/problem+json";
  if (f.retry_after() > 0) {
    r.headers.emplace_back("Retry-After", std::to_string(f.retry_after()));
  } else if (f.code() == ExitCode::kTempFail) {
    r.headers.emplace_back("Retry-After", "5");
  }
  for (const auto& h : f.headers()) r.headers.push_back(h);
  return r;
}

std::string reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

std::string render(const Response& response) {
  std::string out = "Status: " + std::to_string(response.status) + " " + reason_phrase(response.status) + "\r\n";
  out += "Content-Type: " + response.content_type + "\r\n";
  for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
  out += "\r\n";
  out += response.body;
  return out;
}

std::string redact_path(std::string_view path) {
  std::string out;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    bool token = seg.size() > 16 && (seg.starts_with("htv_") || seg.starts_with("hts_") || seg.starts_with("htg_"));
    out += token ? std::string(seg.substr(0, 12)) + "…" : std::string(seg);
    if (end == path.size()) break;
    out += '/';
    start = end + 1;
  }
  return out;
}

std::string url_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= text.size()) throw usage_error("malformed %-escape in query string", "query");
      int hi = hex_value(text[i + 1]);
      int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) throw usage_error("malformed %-escape in query string", "query");
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::map<std::string, std::string> parse_query(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string key = url_decode(pair.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : url_decode(pair.substr(eq + 1));
    out[key] = value;
  }
  return out;
}

}  // namespace httvps::cgi
