// ss_manager_probe: a test helper (built with the tests, never installed) that drives
// SsManagerClient from a shell script, so tests/system/ss_manager_test.sh can check the
// client against the real ss-manager. Not a user-facing binary: rotate-nodes will be.
//
//   ss_manager_probe ADDRESS add PORT PASSWORD [METHOD]   → "ok"
//   ss_manager_probe ADDRESS remove PORT                  → "ok"
//   ss_manager_probe ADDRESS ping                         → {"PORT": BYTES, ...}
//   ss_manager_probe ADDRESS ports                        → the listed ports, one a line
//   ss_manager_probe ADDRESS raw COMMAND                  → the answer as it came
// Failures print "ss_manager_probe: MESSAGE" on stderr and exit with the Failure's code.
#include <chrono>
#include <cstdio>
#include <exception>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/nodes/ss_manager.hpp"

int main(int argc, char** argv) {
  using namespace httvps::nodes;
  if (argc < 3) {
    std::fprintf(stderr, "usage: ss_manager_probe ADDRESS add PORT PASSWORD [METHOD] | remove PORT | ping | ports | raw COMMAND\n");
    return 2;
  }
  const std::string verb = argv[2];
  try {
    SsManagerClient client({argv[1], std::chrono::milliseconds(3000)});
    if (verb == "add" && (argc == 5 || argc == 6)) {
      client.add({std::stoi(argv[3]), argv[4], argc == 6 ? argv[5] : ""});
      std::puts("ok");
    } else if (verb == "remove" && argc == 4) {
      client.remove(std::stoi(argv[3]));
      std::puts("ok");
    } else if (verb == "ping" && argc == 3) {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& [port, bytes] : client.ping()) out[std::to_string(port)] = bytes;
      std::puts(out.dump().c_str());
    } else if (verb == "ports" && argc == 3) {
      for (const auto& p : client.list()) std::printf("%d\n", p.port);
    } else if (verb == "raw" && argc == 4) {
      std::puts(client.request(argv[3], "raw command").c_str());
    } else {
      std::fprintf(stderr, "ss_manager_probe: unknown or incomplete command '%s'\n", verb.c_str());
      return 2;
    }
  } catch (const httvps::Failure& f) {
    std::fprintf(stderr, "ss_manager_probe: %s\n", f.what());
    return static_cast<int>(f.code());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ss_manager_probe: %s\n", e.what());
    return 70;
  }
  return 0;
}
