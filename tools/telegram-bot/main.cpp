// telegram-bot: the Telegram bot for end users. As CGI it serves the webhook
// (POST /api/v1/telegram/webhook) and the Mini App entry (POST /api/v1/telegram/webapp);
// on the command line it handles one update from a file, for trying it out.

#include "core/cli_main.hpp"
#include "core/telegram/bot_cmd.hpp"
#include "core/telegram/webhook.hpp"

int main(int argc, char** argv) {
  static const httvps::ProgramSpec spec{"telegram-bot", "telegram-bot: the Telegram bot's webhook and Mini App entry",
                                        /*cgi=*/true, /*writes_secrets=*/false};
  httvps::telegram::BotOptions o;
  auto declare = [&](CLI::App& app) {
    app.add_option_function<std::string>("--update", [&](const std::string& v) { o.update_file = v; },
                                         "Handle one Bot API update from FILE ('-': standard input) and print the answer")
        ->type_name("FILE");
  };
  return httvps::cli_main(
      spec, argc, argv, declare, [&](httvps::Context& ctx) { return httvps::telegram::run_bot_cli(ctx, o); },
      httvps::telegram::serve_telegram);
}
