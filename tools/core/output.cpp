#include "core/output.hpp"

#include <algorithm>
#include <iostream>

#include "core/exit_code.hpp"

namespace httvps {
namespace {

// Display width of UTF-8 text: counts code points, not bytes.
std::size_t width(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

}  // namespace

OutputFormat parse_output_format(const std::string& text) {
  if (text == "text" || text == "table") return OutputFormat::kText;
  if (text == "json") return OutputFormat::kJson;
  throw usage_error("unknown output format '" + text + "' (expected text or json)", "output");
}

std::string cell_text(const nlohmann::json& value) {
  if (value.is_null()) return "-";
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "yes" : "no";
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string render_table(const nlohmann::json& rows, const std::vector<Column>& columns) {
  std::vector<std::vector<std::string>> cells;
  std::vector<std::size_t> widths;
  for (const auto& c : columns) widths.push_back(width(c.header));
  for (const auto& row : rows) {
    std::vector<std::string> line;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      std::string t = row.contains(columns[i].key) ? cell_text(row[columns[i].key]) : "-";
      std::replace(t.begin(), t.end(), '\n', ' ');
      widths[i] = std::max(widths[i], width(t));
      line.push_back(std::move(t));
    }
    cells.push_back(std::move(line));
  }
  auto emit = [&](const std::vector<std::string>& line, std::string& out) {
    for (std::size_t i = 0; i < line.size(); ++i) {
      out += line[i];
      if (i + 1 < line.size()) out += std::string(widths[i] - width(line[i]) + 2, ' ');
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += '\n';
  };
  std::string out;
  std::vector<std::string> header;
  for (const auto& c : columns) header.push_back(c.header);
  emit(header, out);
  for (const auto& line : cells) emit(line, out);
  return out;
}

std::string render_record(const nlohmann::json& record, const std::vector<Column>& columns) {
  std::vector<std::pair<std::string, std::string>> pairs;
  if (columns.empty()) {
    for (auto it = record.begin(); it != record.end(); ++it) pairs.emplace_back(it.key(), cell_text(it.value()));
  } else {
    for (const auto& c : columns) {
      if (record.contains(c.key)) pairs.emplace_back(c.header, cell_text(record[c.key]));
    }
  }
  std::size_t w = 0;
  for (const auto& p : pairs) w = std::max(w, width(p.first));
  std::string out;
  for (const auto& [k, v] : pairs) {
    std::string line = k + ":" + std::string(w - width(k) + 1, ' ') + v;
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

void print_result(OutputFormat format, const nlohmann::json& data, const std::vector<Column>& columns) {
  if (format == OutputFormat::kJson) {
    std::cout << data.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    return;
  }
  if (data.is_array()) {
    std::vector<Column> cols = columns;
    if (cols.empty() && !data.empty() && data[0].is_object()) {
      for (auto it = data[0].begin(); it != data[0].end(); ++it) cols.push_back({it.key(), it.key()});
    }
    std::cout << render_table(data, cols);
  } else if (data.is_object()) {
    std::cout << render_record(data, columns);
  } else {
    std::cout << cell_text(data) << '\n';
  }
}

void print_message(OutputFormat format, const std::string& text) {
  if (format == OutputFormat::kText) std::cout << text << '\n';
}

void print_error(OutputFormat format, const std::string& program, const Failure& f) {
  if (format == OutputFormat::kJson) {
    nlohmann::json e = {{"code", exit_code_name(f.code())},
                        {"exit_code", static_cast<int>(f.code())},
                        {"message", f.what()}};
    if (!f.field().empty()) e["field"] = f.field();
    std::cerr << nlohmann::json{{"error", e}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  } else {
    std::cerr << program << ": " << f.what() << '\n';
  }
}

}  // namespace httvps
