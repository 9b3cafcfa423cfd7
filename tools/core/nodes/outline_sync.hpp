#pragma once
// Which access keys an Outline server must create, delete and limit so that it serves
// exactly the wanted device keys. Keys are matched by name ("httvps:device-ID"); keys with
// other names belong to the operator and are never touched. A key of a wanted name whose
// password, port or method differs is deleted and created again (Outline cannot change a
// key's password). Pure; rotate-nodes applies the plan with OutlineClient.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/nodes/outline.hpp"

namespace httvps::nodes {

inline constexpr const char* kOutlineKeyPrefix = "httvps:device-";

struct OutlineWantedKey {
  std::string name;      // kOutlineKeyPrefix + device id
  std::string password;
  std::string method;
  int port = 0;
  std::optional<std::uint64_t> data_limit_bytes;
};

struct OutlinePlan {
  std::vector<OutlineWantedKey> create;  // by name
  std::vector<OutlineAccessKey> remove;  // by id as listed
  std::vector<std::pair<std::string, std::optional<std::uint64_t>>> limits;  // key id -> limit (nullopt: remove)
  std::vector<std::string> limit_names;  // the names of the keys in `limits`, same order
  bool empty() const { return create.empty() && remove.empty() && limits.empty(); }
};

OutlinePlan plan_outline_changes(const std::vector<OutlineWantedKey>& wanted, const std::vector<OutlineAccessKey>& present);

}  // namespace httvps::nodes
