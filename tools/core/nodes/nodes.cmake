# Node management (docs/node-management.md, docs/nodes.md): ss-manager, the Outline Management
# API and v2ray vless configs, the probes, port allocation and the rotate-nodes job's body,
# part of httvps_core; included from tools/core/CMakeLists.txt.
find_package(OpenSSL REQUIRED)
target_sources(httvps_core PRIVATE
  domain/node_health.cpp
  domain/rebalance.cpp
  nodes/direct_usage.cpp
  nodes/node_admin.cpp
  nodes/node_ports.cpp
  nodes/outline.cpp
  nodes/outline_sync.cpp
  nodes/probe.cpp
  nodes/reconcile.cpp
  nodes/rotate.cpp
  nodes/ss_manager.cpp
  nodes/vless_config.cpp)
# outline.cpp pins the server certificate through OpenSSL's SSL_CTX of its cpp-httplib client.
# probe.cpp speaks Shadowsocks AEAD through tools/tunnel's codec and raises the open-files
# limit with tools/net's raise_fd_limit().
target_link_libraries(httvps_core PRIVATE OpenSSL::SSL httvps_tunnel httvps_net)
set_source_files_properties(nodes/reconcile.cpp PROPERTIES
  COMPILE_DEFINITIONS "HTTVPS_SOURCE_V2RAY_TEMPLATE=\"${PROJECT_SOURCE_DIR}/templates/v2ray/vless-node.json.in\"")
if(TARGET core_tests)
  target_sources(core_tests PRIVATE
    domain/node_health_test.cpp
    domain/rebalance_test.cpp
    nodes/outline_sync_test.cpp
    nodes/outline_test.cpp
    nodes/probe_test.cpp
    nodes/ss_manager_test.cpp
    nodes/vless_config_test.cpp)
endif()
if(HTTVPS_BUILD_TESTS)
  # A test helper for tests/system/ss_manager_test.sh; not installed.
  add_executable(ss_manager_probe nodes/ss_manager_probe.cpp)
  target_link_libraries(ss_manager_probe PRIVATE httvps_core httvps_warnings)
endif()
if(TARGET db_tests)
  target_sources(db_tests PRIVATE nodes/direct_usage_db_test.cpp nodes/nodes_db_test.cpp)
endif()
