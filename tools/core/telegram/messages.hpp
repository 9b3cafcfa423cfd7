#pragma once
// The bot's words: message templates under templates/messages/<language>/<name>.txt,
// one file per message, English ("en") always present as the fallback. A template holds
// plain text (sent without parse_mode, so nothing in it or in a value is markup) with
// {placeholders}; render() fills them.

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace httvps::telegram {

using Vars = std::map<std::string, std::string>;

// TEMPLATE with every {name} that VARS knows replaced by its value. Unknown placeholders
// stay as they are, so a typo in an operator's template shows instead of vanishing.
// Values are inserted verbatim and never re-scanned. Pure.
std::string render(std::string_view tmpl, const Vars& vars);

// The directory of the templates: CONFIGURED when not empty; else the first that exists
// of <directory of this executable>/../share/httvps/messages and the source tree's
// templates/messages (for builds run from a checkout). Throws Failure(kConfig) when none
// exists.
std::string resolve_templates_dir(const std::string& configured);

class Messages {
 public:
  // DIR holds one subdirectory per language; LANGUAGE_CODE is the user's Telegram code.
  Messages(std::string dir, std::string_view language_code);

  const std::string& language() const { return language_; }
  // The template NAME in the chosen language, else in English, rendered with VARS.
  // Throws Failure(kConfig) when not even the English template exists.
  std::string text(const std::string& name, const Vars& vars = {}) const;

 private:
  std::string dir_;
  std::string language_;
  mutable std::map<std::string, std::string> cache_;
};

// The language subdirectories of DIR ("en", "ru"), sorted.
std::vector<std::string> available_languages(const std::string& dir);

}  // namespace httvps::telegram
