# Node management clients (docs/node-management.md): ss-manager, the Outline Management
# API and v2ray vless configs, part of httvps_core; included from tools/core/CMakeLists.txt.
find_package(OpenSSL REQUIRED)
target_sources(httvps_core PRIVATE
  nodes/outline.cpp
  nodes/ss_manager.cpp
  nodes/vless_config.cpp)
# outline.cpp pins the server certificate through OpenSSL's SSL_CTX of its cpp-httplib client.
target_link_libraries(httvps_core PRIVATE OpenSSL::SSL)
if(TARGET core_tests)
  target_sources(core_tests PRIVATE
    nodes/outline_test.cpp
    nodes/ss_manager_test.cpp
    nodes/vless_config_test.cpp)
endif()
if(HTTVPS_BUILD_TESTS)
  # A test helper for tests/system/ss_manager_test.sh; not installed.
  add_executable(ss_manager_probe nodes/ss_manager_probe.cpp)
  target_link_libraries(ss_manager_probe PRIVATE httvps_core httvps_warnings)
endif()
