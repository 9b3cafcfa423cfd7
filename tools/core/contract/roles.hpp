#pragma once
// Admin roles and what each may do: the one permission table of the admin API. Compiled
// into the CGI (which enforces it in admin::serve) and into the WebAssembly panel (which
// hides what the role may not do), so the two cannot disagree. Pure; no exceptions.

#include <optional>
#include <string>
#include <string_view>

namespace httvps::contract {

enum class Role { kOwner, kAdmin, kOperator, kViewer };

// What an endpoint touches. kSelf is one's own login (logout, password, whoami).
enum class Area {
  kPlans,
  kRegions,
  kNodes,
  kUsers,
  kSubscriptions,
  kDevices,
  kKeys,  // issuing, rotating and revoking device credentials
  kGateways,
  kAdmins,
  kAudit,
  kUsage,     // usage charts, live sessions, dashboard
  kJobs,      // job runs
  kSelf,
};

enum class Access { kRead, kWrite };

std::optional<Role> role_from_name(std::string_view name);
std::string_view role_name(Role role);
std::string_view area_name(Area area);

// The permission table:
//   owner     everything, including admins
//   admin     everything but changing admins (reads them)
//   operator  writes users, subscriptions, devices and keys; reads the rest
//   viewer    reads everything
// Everyone may act on kSelf (log out, change their own password).
bool may(Role role, Area area, Access access);

}  // namespace httvps::contract
