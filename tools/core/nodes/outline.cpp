#include "core/nodes/outline.hpp"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/hostport.hpp"

namespace httvps::nodes {
namespace {

Failure bad_answer(std::string what) { return Failure(ExitCode::kTempFail, "outline: " + std::move(what)); }

// A request body; nlohmann/json throws on invalid UTF-8, which is the caller's mistake.
std::string request_body(const nlohmann::json& body) {
  try {
    return body.dump();
  } catch (const nlohmann::json::exception&) {
    throw usage_error("outline: a name or method is not valid UTF-8", "name");
  }
}

nlohmann::json parse_object(std::string_view body, const char* what) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded()) throw bad_answer(std::string("the ") + what + " answer is not JSON");
  if (!json.is_object()) throw bad_answer(std::string("the ") + what + " answer is not a JSON object");
  return json;
}

std::uint64_t non_negative(const nlohmann::json& v, const std::string& where) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0) return v.get<std::uint64_t>();
  // JavaScript numbers: Outline may write a whole count as 1.0e10; accept exact whole values.
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (d >= 0 && d < 1.8e19 && d == static_cast<double>(static_cast<std::uint64_t>(d))) return static_cast<std::uint64_t>(d);
  }
  throw bad_answer(where + " is not a non-negative integer");
}

OutlineAccessKey key_from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw bad_answer(where + " is not an object");
  OutlineAccessKey key;
  if (!j.contains("id") || !j["id"].is_string()) throw bad_answer(where + " has no string id");
  key.id = j["id"].get<std::string>();
  try {
    validate_outline_key_id(key.id);
  } catch (const Failure&) {
    throw bad_answer(where + " has an id that is not a plain path segment");
  }
  const std::string at = where + " (id " + key.id + ")";
  auto text = [&](const char* name, std::string& out) {
    if (!j.contains(name) || j[name].is_null()) return;
    if (!j[name].is_string()) throw bad_answer(at + " has a " + name + " that is not a string");
    out = j[name].get<std::string>();
  };
  text("name", key.name);
  text("password", key.password);
  text("method", key.method);
  text("accessUrl", key.access_url);
  if (j.contains("port") && !j["port"].is_null()) {
    const auto& p = j["port"];
    if (!p.is_number_integer() || p.get<std::int64_t>() < 1 || p.get<std::int64_t>() > 65535) {
      throw bad_answer(at + " has a port outside 1..65535");
    }
    key.port = static_cast<int>(p.get<std::int64_t>());
  }
  if (j.contains("dataLimit") && !j["dataLimit"].is_null()) {
    const auto& l = j["dataLimit"];
    if (!l.is_object() || !l.contains("bytes")) throw bad_answer(at + " has a dataLimit without bytes");
    key.data_limit_bytes = non_negative(l["bytes"], at + "'s dataLimit.bytes");
  }
  return key;
}

// The certificate check that replaces chain and name verification: the leaf's SHA-256 must
// be the pinned one. Returning 0 aborts the handshake (the context verifies in PEER mode).
int verify_pinned(X509_STORE_CTX* ctx, void* arg) {
  const auto* want = static_cast<const std::string*>(arg);
  X509* leaf = X509_STORE_CTX_get0_cert(ctx);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (leaf == nullptr || X509_digest(leaf, EVP_sha256(), md, &len) != 1 || len != 32) {
    X509_STORE_CTX_set_error(ctx, X509_V_ERR_UNSPECIFIED);
    return 0;
  }
  static const char* kHex = "0123456789ABCDEF";
  std::string got;
  for (unsigned int i = 0; i < len; ++i) {
    got += kHex[md[i] >> 4];
    got += kHex[md[i] & 15];
  }
  if (got != *want) {
    X509_STORE_CTX_set_error(ctx, X509_V_ERR_CERT_REJECTED);
    return 0;
  }
  X509_STORE_CTX_set_error(ctx, X509_V_OK);
  return 1;
}

}  // namespace

OutlineApi parse_outline_api_url(std::string_view api_url) {
  constexpr std::string_view kScheme = "https://";
  if (api_url.substr(0, kScheme.size()) != kScheme) throw config_error("the Outline apiUrl must start with https://");
  std::string_view rest = api_url.substr(kScheme.size());
  std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash + 1 >= rest.size()) {
    throw config_error("the Outline apiUrl has no secret path after the host");
  }
  std::string authority(rest.substr(0, slash));
  OutlineApi api;
  const bool bracketed = !authority.empty() && authority.front() == '[';
  const bool has_port = bracketed ? authority.find("]:") != std::string::npos : authority.find(':') != std::string::npos;
  if (has_port) {
    auto hp = parse_host_port(authority);
    if (!hp || hp->port == 0) throw config_error("the Outline apiUrl has a malformed host:port");
    api.host = hp->host;
    api.port = hp->port;
  } else {
    api.host = authority;
    if (bracketed && api.host.size() > 2 && api.host.back() == ']') api.host = api.host.substr(1, api.host.size() - 2);
  }
  // A colon only inside an IPv6 literal.
  bool host_ok = !api.host.empty() && std::all_of(api.host.begin(), api.host.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || (bracketed && c == ':');
  });
  if (!host_ok) throw config_error("the Outline apiUrl has a malformed host");
  std::string path(rest.substr(slash));
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  bool path_ok = std::all_of(path.begin(), path.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("/-_.~%").find(c) != std::string_view::npos;
  });
  if (!path_ok || path.size() < 2) throw config_error("the Outline apiUrl has a malformed secret path");
  api.secret_path = path;
  return api;
}

std::string normalize_cert_sha256(std::string_view cert_sha256) {
  std::string hex;
  for (char c : cert_sha256) {
    if (c == ':') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) throw config_error("the Outline certSha256 is not hexadecimal");
    hex += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (hex.size() != 64) throw config_error("the Outline certSha256 must be 64 hex digits, not " + std::to_string(hex.size()));
  return hex;
}

OutlineAccessKey parse_outline_access_key(std::string_view body) {
  return key_from_json(parse_object(body, "access key"), "the access key");
}

std::vector<OutlineAccessKey> parse_outline_access_keys(std::string_view body) {
  auto json = parse_object(body, "access key list");
  if (!json.contains("accessKeys") || !json["accessKeys"].is_array()) {
    throw bad_answer("the access key list answer has no accessKeys array");
  }
  std::vector<OutlineAccessKey> keys;
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < json["accessKeys"].size(); ++i) {
    keys.push_back(key_from_json(json["accessKeys"][i], "access key " + std::to_string(i)));
    if (std::find(ids.begin(), ids.end(), keys.back().id) != ids.end()) {
      throw bad_answer("the access key list names id " + keys.back().id + " twice");
    }
    ids.push_back(keys.back().id);
  }
  return keys;
}

std::map<std::string, std::uint64_t> parse_outline_transfer(std::string_view body) {
  auto json = parse_object(body, "transfer metrics");
  if (!json.contains("bytesTransferredByUserId") || !json["bytesTransferredByUserId"].is_object()) {
    throw bad_answer("the transfer metrics answer has no bytesTransferredByUserId object");
  }
  std::map<std::string, std::uint64_t> bytes;
  for (const auto& [id, value] : json["bytesTransferredByUserId"].items()) {
    try {
      validate_outline_key_id(id);
    } catch (const Failure&) {
      throw bad_answer("the transfer metrics name a key id that is not a plain path segment");
    }
    bytes[id] = non_negative(value, "the transfer count of key " + id);
  }
  return bytes;
}

std::string outline_error_text(std::string_view body) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return "";
  std::string code = json.contains("code") && json["code"].is_string() ? json["code"].get<std::string>() : "";
  std::string message = json.contains("message") && json["message"].is_string() ? json["message"].get<std::string>() : "";
  if (code.empty() && message.empty()) return "";
  std::string text = code.empty() ? message : message.empty() ? code : code + ": " + message;
  text = text.substr(0, 200);
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return text;
}

void validate_outline_key_id(std::string_view id) {
  bool ok = !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '~' || c == '-';
  });
  if (!ok) throw usage_error("an Outline access key id must be 1..64 of A-Z a-z 0-9 . _ ~ -", "id");
}

OutlineClient::OutlineClient(OutlineOptions options)
    : api_(parse_outline_api_url(options.api_url)), pin_(normalize_cert_sha256(options.cert_sha256)), options_(std::move(options)) {}

OutlineClient::Answer OutlineClient::send(const char* verb, const std::string& path, const std::string& body, int want) {
  httplib::SSLClient client(api_.host, api_.port);
  // httplib's own verification would also check the name, which Outline's self-signed
  // certificate need not carry: it is off, and the pin is checked in the handshake instead.
  client.enable_server_certificate_verification(false);
  SSL_CTX_set_cert_verify_callback(client.ssl_context(), verify_pinned, &pin_);
  SSL_CTX_set_verify(client.ssl_context(), SSL_VERIFY_PEER, nullptr);
  const auto sec = static_cast<time_t>(options_.timeout.count() / 1000);
  const auto usec = static_cast<time_t>((options_.timeout.count() % 1000) * 1000);
  client.set_connection_timeout(sec, usec);
  client.set_read_timeout(sec, usec);
  client.set_write_timeout(sec, usec);

  const std::string full = api_.secret_path + path;
  const std::string what = std::string(verb) + " " + path;
  auto res = [&] {
    const std::string_view v = verb;
    if (v == "GET") return client.Get(full);
    if (v == "POST") return client.Post(full, body, "application/json");
    if (v == "PUT") return client.Put(full, body, "application/json");
    return client.Delete(full);
  }();
  if (!res) {
    std::string why = httplib::to_string(res.error());
    if (res.error() == httplib::Error::SSLConnection || res.error() == httplib::Error::SSLServerVerification) {
      why += "; is certSha256 the server's certificate?";
    }
    throw Failure(ExitCode::kTempFail, "outline: " + what + " at " + api_.host + ":" + std::to_string(api_.port) +
                                           " failed: " + why);
  }
  if (res->status == want) return {res->status, res->body};
  std::string detail = outline_error_text(res->body);
  std::string message = "outline: " + what + " answered " + std::to_string(res->status) + (detail.empty() ? "" : ": " + detail);
  ExitCode code = ExitCode::kTempFail;
  if (res->status == 404) code = ExitCode::kNotFound;
  if (res->status == 400) code = ExitCode::kUsage;
  if (res->status == 409) code = ExitCode::kConflict;
  if (res->status == 401 || res->status == 403) code = ExitCode::kUnauthorized;
  throw Failure(code, message);
}

std::vector<OutlineAccessKey> OutlineClient::list_keys() {
  return parse_outline_access_keys(send("GET", "/access-keys", "", 200).body);
}

OutlineAccessKey OutlineClient::create_key(const std::string& name, const std::string& method,
                                           const std::string& password, int port) {
  nlohmann::json body = {{"name", name}};
  if (!method.empty()) body["method"] = method;
  if (!password.empty()) body["password"] = password;
  if (port > 0) body["port"] = port;
  OutlineAccessKey key = parse_outline_access_key(send("POST", "/access-keys", request_body(body), 201).body);
  if (key.name != name) {
    rename_key(key.id, name);
    key.name = name;
  }
  return key;
}

void OutlineClient::rename_key(const std::string& id, const std::string& name) {
  validate_outline_key_id(id);
  send("PUT", "/access-keys/" + id + "/name", request_body(nlohmann::json{{"name", name}}), 204);
}

void OutlineClient::delete_key(const std::string& id) {
  validate_outline_key_id(id);
  send("DELETE", "/access-keys/" + id, "", 204);
}

void OutlineClient::set_data_limit(const std::string& id, std::uint64_t bytes) {
  validate_outline_key_id(id);
  send("PUT", "/access-keys/" + id + "/data-limit", nlohmann::json{{"limit", {{"bytes", bytes}}}}.dump(), 204);
}

void OutlineClient::remove_data_limit(const std::string& id) {
  validate_outline_key_id(id);
  send("DELETE", "/access-keys/" + id + "/data-limit", "", 204);
}

std::map<std::string, std::uint64_t> OutlineClient::transfer() {
  return parse_outline_transfer(send("GET", "/metrics/transfer", "", 200).body);
}

}  // namespace httvps::nodes
