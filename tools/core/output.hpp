#pragma once
// Results on stdout, in the format the user chose: aligned human tables (the default), or
// one JSON document (--output json) that `jq` can always parse. Errors go to stderr, as
// "program: message" text or as {"error": {...}} JSON.

#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace httvps {

enum class OutputFormat { kText, kJson };

// Parses "text" | "json" (also "table"); throws Failure(kUsage).
OutputFormat parse_output_format(const std::string& text);

struct Column {
  std::string key;     // field in each JSON row
  std::string header;  // column title
};

// Renders ROWS (a JSON array of objects) as an aligned table of COLUMNS. Pure.
std::string render_table(const nlohmann::json& rows, const std::vector<Column>& columns);
// Renders one object as "key: value" lines, in COLUMNS order when given, else all keys. Pure.
std::string render_record(const nlohmann::json& record, const std::vector<Column>& columns);
// Text form of one JSON value in a table cell: strings bare, null as "-", others dumped.
std::string cell_text(const nlohmann::json& value);

// Writes DATA to stdout: JSON as one document; text as a table (arrays) or a record
// (objects) or a plain line (strings).
void print_result(OutputFormat format, const nlohmann::json& data, const std::vector<Column>& columns = {});

// Writes a message line to stdout in text mode only (confirmations such as "created plan 'x'").
void print_message(OutputFormat format, const std::string& text);

// Writes F to stderr as "PROGRAM: message" or {"error": {...}}.
void print_error(OutputFormat format, const std::string& program, const Failure& f);

}  // namespace httvps
