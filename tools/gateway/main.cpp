// httvps-gateway: the resident tunnel endpoint. Clients connect over WebSocket (TLS or
// behind a proxy), present a device token in HELLO, and have their streams carried to the
// device's nodes over Shadowsocks (docs/gateway.md, docs/protocol.md).

#include <iostream>

#include "core/cli_main.hpp"
#include "gateway/server.hpp"

int main(int argc, char** argv) {
  static const httvps::ProgramSpec spec{"httvps-gateway",
                                        "httvps-gateway: carry httvps.v1 tunnels from clients to the nodes"};
  bool print_pin = false;
  auto declare = [&](CLI::App& app) {
    app.add_flag("--print-pin", print_pin,
                 "Print the pin= of gateway.tls_cert for httvps:// URIs (sha256 of its public key) and exit");
  };
  return httvps::cli_main(spec, argc, argv, declare, [&](httvps::Context& ctx) {
    if (print_pin) {
      std::string pin = httvps::gateway::certificate_pin(ctx.config());
      if (ctx.output() == httvps::OutputFormat::kJson) {
        std::cout << nlohmann::json{{"pin", pin}}.dump() << "\n";
      } else {
        std::cout << pin << "\n";
      }
      return 0;
    }
    return httvps::gateway::run_gateway(ctx.config());
  });
}
