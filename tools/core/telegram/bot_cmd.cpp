#include "core/telegram/bot_cmd.hpp"

#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/output.hpp"
#include "core/telegram/bot.hpp"

namespace httvps::telegram {

int run_bot_cli(Context& ctx, const BotOptions& o) {
  if (!o.update_file) throw usage_error("nothing to do: give --update FILE (or '-'), or run as CGI behind nginx");
  std::ostringstream ss;
  if (*o.update_file == "-") {
    ss << std::cin.rdbuf();
  } else {
    std::ifstream in(*o.update_file, std::ios::binary);
    if (!in) throw usage_error("cannot read update file '" + *o.update_file + "'", "update");
    ss << in.rdbuf();
  }
  const std::string body = ss.str();
  if (body.size() > static_cast<std::size_t>(ctx.config().cgi_max_body_bytes)) {
    throw Failure(ExitCode::kTooLarge, "the update is larger than cgi.max_body_bytes", "update");
  }
  Update update = parse_update(body);
  Reply reply = handle_update(ctx, load_settings(ctx.config()), update, static_cast<std::int64_t>(std::time(nullptr)));
  if (ctx.output() == OutputFormat::kJson) {
    nlohmann::json out = reply.method.is_null() ? nlohmann::json{{"ok", true}, {"ignored", reply.ignored}} : reply.method;
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  } else if (reply.method.is_null()) {
    std::cout << "ignored: " << reply.ignored << '\n';
  } else {
    std::cout << reply.method.value("text", "") << '\n';
  }
  return 0;
}

}  // namespace httvps::telegram
