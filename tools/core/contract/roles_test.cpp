#include <catch2/catch.hpp>

#include "core/contract/roles.hpp"

using namespace httvps::contract;

TEST_CASE("every role reads everything and acts on its own login", "[roles]") {
  for (Role role : {Role::kOwner, Role::kAdmin, Role::kOperator, Role::kViewer}) {
    for (int a = 0; a <= static_cast<int>(Area::kSelf); ++a) {
      CHECK(may(role, static_cast<Area>(a), Access::kRead));
    }
    CHECK(may(role, Area::kSelf, Access::kWrite));
  }
}

TEST_CASE("the permission table gives each role exactly its writes", "[roles]") {
  struct Row {
    Area area;
    bool owner, admin, op, viewer;
  };
  // Writes by role: owner everything; admin all but admins; operator users, subscriptions,
  // devices and keys; viewer nothing.
  const Row table[] = {
      {Area::kPlans, true, true, false, false},        {Area::kRegions, true, true, false, false},
      {Area::kNodes, true, true, false, false},        {Area::kUsers, true, true, true, false},
      {Area::kSubscriptions, true, true, true, false}, {Area::kDevices, true, true, true, false},
      {Area::kKeys, true, true, true, false},          {Area::kGateways, true, true, false, false},
      {Area::kAdmins, true, false, false, false},      {Area::kAudit, true, true, false, false},
      {Area::kUsage, true, true, false, false},        {Area::kJobs, true, true, false, false},
      {Area::kSelf, true, true, true, true},
  };
  for (const auto& row : table) {
    INFO(area_name(row.area));
    CHECK(may(Role::kOwner, row.area, Access::kWrite) == row.owner);
    CHECK(may(Role::kAdmin, row.area, Access::kWrite) == row.admin);
    CHECK(may(Role::kOperator, row.area, Access::kWrite) == row.op);
    CHECK(may(Role::kViewer, row.area, Access::kWrite) == row.viewer);
  }
}

TEST_CASE("role names round-trip and unknown names are refused", "[roles]") {
  for (Role role : {Role::kOwner, Role::kAdmin, Role::kOperator, Role::kViewer}) {
    CHECK(role_from_name(role_name(role)) == role);
  }
  CHECK_FALSE(role_from_name("root"));
  CHECK_FALSE(role_from_name("Owner"));
  CHECK_FALSE(role_from_name(""));
}
