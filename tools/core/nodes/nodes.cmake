# Node management (docs/node-management.md, docs/nodes.md): ss-manager, the Outline Management
# API and v2ray vless configs, and the probes of rotate-nodes,
# part of httvps_core; included from tools/core/CMakeLists.txt.
find_package(OpenSSL REQUIRED)
target_sources(httvps_core PRIVATE
  domain/node_health.cpp
  domain/rebalance.cpp
  nodes/outline.cpp
  nodes/probe.cpp
  nodes/ss_manager.cpp
  nodes/vless_config.cpp)
# outline.cpp pins the server certificate through OpenSSL's SSL_CTX of its cpp-httplib client.
# probe.cpp speaks Shadowsocks AEAD through tools/tunnel's codec.
target_link_libraries(httvps_core PRIVATE OpenSSL::SSL httvps_tunnel)
if(TARGET core_tests)
  target_sources(core_tests PRIVATE
    domain/node_health_test.cpp
    domain/rebalance_test.cpp
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
