#pragma once
// httvps-gateway as a whole: one event loop per thread, each with its own SO_REUSEPORT
// listener; the TLS context (re-read on SIGHUP); the validator and resolver pools; the
// loopback admin server for /metrics and /healthz; signals and draining
// (docs/gateway.md).

#include <string>

#include "core/config.hpp"

namespace httvps::gateway {

// Runs the gateway with CONFIG until SIGTERM or SIGINT, then drains. Returns the exit
// code. Throws Failure(kConfig) for configuration that cannot work (unreadable
// credential, certificate or key, an address that cannot be listened on).
int run_gateway(const Config& config);

// The pin= of the configured certificate (for httvps:// URIs); throws Failure(kConfig).
std::string certificate_pin(const Config& config);

}  // namespace httvps::gateway
