#pragma once
// Probes of nodes, all at once: every probe is a non-blocking socket in one poll() loop,
// each with its own deadline, so a run over 1,000 nodes takes about as long as the slowest
// probe (host names are resolved first, by a few threads at once).
//
// A probe opens a TCP connection to the node. With a canary (HOST:PORT) it then sends a real
// request through the node to the canary, an HTTP GET, and succeeds when an HTTP status line
// comes back:
//   * shadowsocks / outline: one Shadowsocks AEAD session (tools/tunnel's codec) under the
//     node's gateway secret: the canary's address and the GET in the first chunk;
//   * vless: a VLESS request over TCP (version 0, the probe user's uuid, no addons, command 1
//     TCP, the canary's port and address) with the GET after it; the answer is the version
//     byte, an addons length and addons, then the canary's bytes.
// Without a canary, or for a target with no secret, the TCP connect alone is the probe.
// Secrets never appear in results.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/hostport.hpp"

namespace httvps::nodes {

struct ProbeTarget {
  // kUnusable: the probe cannot be made (its secret did not open); it fails at once with
  // `password` as the error.
  enum class Kind { kTcp, kShadowsocks, kVless, kUnusable };
  Kind kind = Kind::kTcp;
  std::string host;
  int port = 0;
  std::string method;      // kShadowsocks: the cipher as ss-server names it
  std::string password;    // kShadowsocks: the gateway secret
  std::string vless_uuid;  // kVless: a user the node's config holds
};

struct ProbeResult {
  bool ok = false;
  std::int64_t latency_ms = 0;  // from the start to the connect (TCP) or the first answer bytes
  std::string error;            // empty when ok: what failed, e.g. "connect: Connection refused"
  std::string checked;          // "tcp", "shadowsocks" or "vless": how far the probe went
};

// Probes every target; result i belongs to target i. CANARY empty: TCP connects only.
// Never throws for what a node does (refusals, timeouts, garbage): that is a result.
// AT_ONCE bounds the probes in flight together (0: as many as the open-files limit allows,
// after raising it to the hard limit); more targets than that are probed in waves, each
// within TIMEOUT, so that a lack of descriptors never fails a node.
std::vector<ProbeResult> run_probes(const std::vector<ProbeTarget>& targets, const std::optional<HostPort>& canary,
                                    std::chrono::milliseconds timeout, std::size_t at_once = 0);

// The first bytes a VLESS client sends for a TCP request to CANARY (no payload), and the
// Shadowsocks target address; exposed for tests. Pure. Empty when UUID or CANARY is malformed.
std::vector<std::uint8_t> vless_request_header(const std::string& uuid, const HostPort& canary);

}  // namespace httvps::nodes
