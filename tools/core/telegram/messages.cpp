#include "core/telegram/messages.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "core/error.hpp"
#include "core/telegram/update.hpp"

#ifndef HTTVPS_SOURCE_MESSAGES_DIR
#define HTTVPS_SOURCE_MESSAGES_DIR ""
#endif

namespace httvps::telegram {
namespace fs = std::filesystem;
namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

std::optional<std::string> read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  // Editors end files with a newline; a message does not.
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

std::string executable_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : exe.parent_path().string();
}

}  // namespace

std::string render(std::string_view tmpl, const Vars& vars) {
  std::string out;
  out.reserve(tmpl.size());
  std::size_t i = 0;
  while (i < tmpl.size()) {
    if (tmpl[i] == '{') {
      std::size_t j = i + 1;
      while (j < tmpl.size() && is_name_char(tmpl[j])) ++j;
      if (j < tmpl.size() && tmpl[j] == '}' && j > i + 1) {
        auto it = vars.find(std::string(tmpl.substr(i + 1, j - i - 1)));
        if (it != vars.end()) {
          out += it->second;
          i = j + 1;
          continue;
        }
      }
    }
    out += tmpl[i++];
  }
  return out;
}

std::string resolve_templates_dir(const std::string& configured) {
  if (!configured.empty()) {
    if (!fs::is_directory(configured)) {
      throw config_error("telegram.templates_dir '" + configured + "' is not a directory");
    }
    return configured;
  }
  std::vector<std::string> candidates;
  if (std::string exe = executable_dir(); !exe.empty()) candidates.push_back(exe + "/../share/httvps/messages");
  if (std::string src = HTTVPS_SOURCE_MESSAGES_DIR; !src.empty()) candidates.push_back(src);
  for (const auto& c : candidates) {
    if (fs::is_directory(fs::path(c) / "en")) return fs::path(c).lexically_normal().string();
  }
  throw config_error("no message templates found: set telegram.templates_dir");
}

std::vector<std::string> available_languages(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_directory()) out.push_back(entry.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

Messages::Messages(std::string dir, std::string_view language_code)
    : dir_(std::move(dir)), language_(choose_language(language_code, available_languages(dir_))) {}

std::string Messages::text(const std::string& name, const Vars& vars) const {
  auto it = cache_.find(name);
  if (it == cache_.end()) {
    std::optional<std::string> found = read_text(fs::path(dir_) / language_ / (name + ".txt"));
    if (!found) found = read_text(fs::path(dir_) / "en" / (name + ".txt"));
    if (!found) throw config_error("message template '" + name + "' is missing from " + dir_ + "/en");
    it = cache_.emplace(name, std::move(*found)).first;
  }
  return render(it->second, vars);
}

}  // namespace httvps::telegram
