#pragma once
// The CGI routes served by the `httvps` binary: one table of (method, path, handler).
// Unknown paths answer 404 and known paths with another method 405, both problem+json.

#include "core/app.hpp"
#include "core/cgi.hpp"

namespace httvps::admin {

cgi::Response serve(Context& ctx, const cgi::Request& request);

}  // namespace httvps::admin
