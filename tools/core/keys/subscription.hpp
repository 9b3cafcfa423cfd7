#pragma once
// GET /api/v1/sub/{subscription-token}: what subscription-aware clients fetch.
//
//   (default)        base64 of the device's links, one per line, with the
//                    subscription-userinfo, profile-title and profile-update-interval headers
//   ?format=json     a JSON document with the links, status and usage
//   ?format=outline  an Outline dynamic access key: {server, server_port, password, method}
//
// Unknown, malformed and revoked tokens all answer the same 404. Failed lookups are
// rate-limited per client address.

#include <optional>
#include <string>
#include <vector>

#include "core/app.hpp"
#include "core/cgi.hpp"
#include "core/links.hpp"

namespace httvps::keys {

struct NodeEndpoint {
  std::string kind;  // shadowsocks | outline | vless
  std::string host;
  int port = 0;
};

struct DeviceLinks {
  std::optional<links::SsLink> ss;  // the Shadowsocks access key, for shadowsocks and outline nodes
  std::vector<std::string> links;   // ss:// or vless://, whichever the node speaks
};

// The links of a device that can be rebuilt from what the database keeps (the sealed
// Shadowsocks password, the vless uuid), tagged LABEL, for its NODE; empty without a node.
// The subscription endpoint and the Telegram bot share it.
DeviceLinks device_links(Context& ctx, long long device_id, const std::string& label,
                         const std::optional<NodeEndpoint>& node);

cgi::Response serve_subscription(Context& ctx, const cgi::Request& request);

}  // namespace httvps::keys
