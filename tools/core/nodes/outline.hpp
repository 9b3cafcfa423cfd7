#pragma once
// A client for the Outline Server Management API (Jigsaw-Code/outline-server,
// src/shadowbox/server/api.yml): list, create, rename and delete access keys, set and remove
// their data limits, and read the bytes each key has transferred.
//
// An Outline server is addressed the way Outline Manager does it: an apiUrl
// (https://HOST:PORT/SECRET-PATH, the path being the credential) and certSha256, the SHA-256
// of the server's self-signed certificate. The client trusts exactly that certificate (any
// chain, any name) and refuses the connection before sending a byte of the request when
// another one is presented.
//
// No Outline server runs in this project's test environment: the parsers below are pure and
// tested against responses recorded from the spec (tools/core/nodes/testdata/outline/), and
// the transport against a local cpp-httplib TLS stand-in. Secrets (the API path, key
// passwords, access URLs) never appear in messages.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace httvps::nodes {

struct OutlineApi {
  std::string host{};         // without brackets for IPv6
  int port = 443;
  std::string secret_path{};  // "/SECRET" without a trailing slash; the credential
};

struct OutlineAccessKey {
  std::string id{};
  std::string name{};
  std::string password{};
  int port = 0;
  std::string method{};
  std::string access_url{};
  std::optional<std::uint64_t> data_limit_bytes{};  // "dataLimit": {"bytes": N}, newer servers
  bool operator==(const OutlineAccessKey&) const = default;
};

// Parses apiUrl. Throws Failure(kConfig) naming the fault (never the secret path) unless it is
// https://HOST[:PORT]/PATH with a non-empty path. Pure.
OutlineApi parse_outline_api_url(std::string_view api_url);

// certSha256 as Outline Manager prints it (64 hex digits, any case, colons allowed) →
// 64 upper-case hex digits. Throws Failure(kConfig). Pure.
std::string normalize_cert_sha256(std::string_view cert_sha256);

// The answers, validated: each throws Failure(kTempFail) "outline: ..." naming what is wrong.
// Pure.
OutlineAccessKey parse_outline_access_key(std::string_view body);                // POST /access-keys
std::vector<OutlineAccessKey> parse_outline_access_keys(std::string_view body);  // GET /access-keys
std::map<std::string, std::uint64_t> parse_outline_transfer(std::string_view body);  // GET /metrics/transfer
// An error answer's {"code", "message"} as "CODE: MESSAGE" (at most 200 bytes), or "" when
// BODY is not such an object. Pure.
std::string outline_error_text(std::string_view body);

// A key id as a path segment: 1..64 bytes of [A-Za-z0-9._~-]. Throws Failure(kUsage, "id").
void validate_outline_key_id(std::string_view id);

struct OutlineOptions {
  std::string api_url{};
  std::string cert_sha256{};
  std::chrono::milliseconds timeout{10000};  // each of connect, read and write
};

class OutlineClient {
 public:
  // Throws Failure(kConfig) for a malformed apiUrl or certSha256.
  explicit OutlineClient(OutlineOptions options);

  std::vector<OutlineAccessKey> list_keys();
  // POST /access-keys with {"name", "method"?, "password"?, "port"?}; servers older than the
  // body ignore it, so the name is set with PUT .../name when the answer does not carry it.
  // A server that ignored PASSWORD or PORT answers with its own: callers compare.
  OutlineAccessKey create_key(const std::string& name, const std::string& method = {},
                              const std::string& password = {}, int port = 0);
  void rename_key(const std::string& id, const std::string& name);
  void delete_key(const std::string& id);  // kNotFound when the server has no such key
  void set_data_limit(const std::string& id, std::uint64_t bytes);
  void remove_data_limit(const std::string& id);
  std::map<std::string, std::uint64_t> transfer();

 private:
  struct Answer {
    int status = 0;
    std::string body{};
  };
  // One request. Throws Failure(kTempFail) when the server cannot be reached or presents
  // another certificate, and the mapped Failure when the status is not WANT.
  Answer send(const char* verb, const std::string& path, const std::string& body, int want);
  OutlineApi api_;
  std::string pin_;
  OutlineOptions options_;
};

}  // namespace httvps::nodes
