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

#include "core/app.hpp"
#include "core/cgi.hpp"

namespace httvps::keys {

cgi::Response serve_subscription(Context& ctx, const cgi::Request& request);

}  // namespace httvps::keys
