// httvps link parse LINK: decodes an httvps://, ss:// or vless:// link with the same
// parsers clients use, so an operator can check what a link says.

#include <cctype>

#include "core/admin/command.hpp"
#include "core/links.hpp"

namespace httvps::admin {

int run_link(Context& ctx, const Command& cmd) {
  if (cmd.action != "parse") throw usage_error("unknown link action '" + cmd.action + "'");
  // Schemes are case-insensitive (RFC 3986); pasted links often carry spaces around them.
  std::string text = cmd.key;
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.erase(text.begin());
  std::string scheme = text.substr(0, text.find("://"));
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  nlohmann::json out;
  if (scheme == "ss") {
    auto l = links::parse_ss(text);
    out = {{"kind", "ss"}, {"method", l.method}, {"password", l.password}, {"host", l.server.host},
           {"port", l.server.port}, {"tag", l.tag}};
  } else if (scheme == "vless") {
    auto l = links::parse_vless(text);
    out = {{"kind", "vless"}, {"uuid", l.uuid}, {"host", l.server.host}, {"port", l.server.port},
           {"type", l.type}, {"security", l.security}, {"path", l.path}, {"host_header", l.host_header},
           {"sni", l.sni}, {"tag", l.tag}};
  } else if (scheme == "httvps") {
    auto l = links::parse_httvps(text);
    out = {{"kind", "httvps"}, {"token", l.token}, {"host", l.gateway.host}, {"port", l.gateway.port},
           {"path", l.path},   {"tls", l.tls},     {"sni", l.sni},          {"pin", l.pin},
           {"insecure", l.insecure}, {"label", l.label}};
  } else {
    throw usage_error("not a link this tool knows: expected httvps://, ss:// or vless://", "link");
  }
  print_result(ctx.output(), out);
  return 0;
}

}  // namespace httvps::admin
