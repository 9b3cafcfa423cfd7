#include "core/contract/roles.hpp"

namespace httvps::contract {

std::optional<Role> role_from_name(std::string_view name) {
  if (name == "owner") return Role::kOwner;
  if (name == "admin") return Role::kAdmin;
  if (name == "operator") return Role::kOperator;
  if (name == "viewer") return Role::kViewer;
  return std::nullopt;
}

std::string_view role_name(Role role) {
  switch (role) {
    case Role::kOwner: return "owner";
    case Role::kAdmin: return "admin";
    case Role::kOperator: return "operator";
    case Role::kViewer: return "viewer";
  }
  return "viewer";
}

std::string_view area_name(Area area) {
  switch (area) {
    case Area::kPlans: return "plans";
    case Area::kRegions: return "regions";
    case Area::kNodes: return "nodes";
    case Area::kUsers: return "users";
    case Area::kSubscriptions: return "subscriptions";
    case Area::kDevices: return "devices";
    case Area::kKeys: return "keys";
    case Area::kGateways: return "gateways";
    case Area::kAdmins: return "admins";
    case Area::kAudit: return "audit";
    case Area::kUsage: return "usage";
    case Area::kJobs: return "jobs";
    case Area::kSelf: return "self";
  }
  return "?";
}

bool may(Role role, Area area, Access access) {
  if (area == Area::kSelf || access == Access::kRead) return true;
  switch (role) {
    case Role::kOwner: return true;
    case Role::kAdmin: return area != Area::kAdmins;
    case Role::kOperator:
      return area == Area::kUsers || area == Area::kSubscriptions || area == Area::kDevices || area == Area::kKeys;
    case Role::kViewer: return false;
  }
  return false;
}

}  // namespace httvps::contract
