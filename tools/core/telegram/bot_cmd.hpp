#pragma once
// The telegram-bot command line: handle one update from a file or standard input, exactly
// as the webhook would (minus the secret header), and print the answer. For trying
// templates and commands without Telegram; as CGI the binary serves the webhook.

#include <optional>
#include <string>

#include "core/app.hpp"

namespace httvps::telegram {

struct BotOptions {
  std::optional<std::string> update_file;  // --update FILE ('-' for standard input)
};

// Prints the Bot API method the webhook would answer with (JSON), or in text mode the
// message text, or "ignored: <reason>". Throws Failure(kUsage) without --update or for a
// malformed update.
int run_bot_cli(Context& ctx, const BotOptions& options);

}  // namespace httvps::telegram
