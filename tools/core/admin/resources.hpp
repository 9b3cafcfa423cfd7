#pragma once
// The resources the admin CLI (and later the admin API) manage, declared once: their
// fields, types, defaults and list columns. The CLI builds its flags from this table;
// apply_inputs() turns text inputs into a validated record. Pure: no database here.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/output.hpp"

namespace httvps::admin {

enum class FieldType {
  kName,      // lower-case identifier: [a-z0-9][a-z0-9._-]{0,63}
  kText,      // free text, length-limited
  kInt,       // integer within [min, max]
  kDecimal,   // positive decimal number
  kBytes,     // "50GB" → bytes; "unlimited" → null when nullable
  kDuration,  // "30d" → seconds; "unlimited" → null when nullable
  kRate,      // "10mbit" → bits/s; "unlimited" → null when nullable
  kBool,      // true/false/yes/no
  kEnum,      // one of choices
  kRef,       // the name of another resource (resolved to an id by the database layer)
  kTimestamp, // RFC 3339 or a date → "YYYY-MM-DDTHH:MM:SSZ"; "never" → null when nullable
};

struct FieldSpec {
  std::string name;       // record key, and flag name with '_' → '-'
  FieldType type;
  std::string help;
  bool required = false;  // must be given on create
  bool nullable = false;  // may be cleared ("unlimited", "none")
  nlohmann::json default_value = nullptr;  // applied on create when not given
  std::vector<std::string> choices;        // kEnum
  std::string ref;                         // kRef: resource name
  std::int64_t min = 0;                    // kInt
  std::int64_t max = 0;                    // kInt
  std::size_t max_length = 200;            // kText
  std::string pattern;                     // kText: ECMAScript regex the whole value must match
  std::string pattern_help;                // what the pattern allows, for the error message
  bool create_only = false;                // cannot be changed by update
};

struct ResourceSpec {
  std::string name;        // "plan"
  std::string plural;      // "plans"
  std::string summary;     // for --help
  std::string key_field;   // the positional key: "name", "username", "id"
  std::vector<FieldSpec> fields;   // settable fields, key first when it is settable
  std::vector<Column> columns;     // list table columns
  std::vector<FieldSpec> filters;  // list filters
};

const std::vector<ResourceSpec>& resources();
// Throws Failure(kUsage) for an unknown resource name.
const ResourceSpec& resource(std::string_view name);
const FieldSpec* find_field(const ResourceSpec& spec, std::string_view name);

// Converts one text input to its typed JSON value per SPEC. Throws Failure(kUsage) with
// the field name when the text is invalid.
nlohmann::json parse_field(const FieldSpec& spec, const std::string& text);

// Builds the record to store: BASE (the current record for an update, {} for a create)
// with INPUTS applied. On create, defaults fill absent fields and required fields must be
// present. Unknown input names are an error. Throws Failure(kUsage) naming the field.
nlohmann::json apply_inputs(const ResourceSpec& spec, nlohmann::json base,
                            const std::map<std::string, std::string>& inputs, bool creating);

// "data_limit" → "data-limit".
std::string flag_name(const std::string& field);

}  // namespace httvps::admin
