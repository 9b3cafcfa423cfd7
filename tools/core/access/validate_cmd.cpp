#include "core/access/validate_cmd.hpp"

#include <ctime>
#include <iostream>

#include "core/access/validate.hpp"

namespace httvps::access {

int run_validate_cli(Context& ctx, const ValidateOptions& o) {
  if (o.token.empty()) throw usage_error("--token is required", "token");
  ValidateRequest req;
  req.token = o.token;
  if (req.token == "-") {
    std::getline(std::cin, req.token);
    while (!req.token.empty() && (req.token.back() == '\r' || req.token.back() == ' ')) req.token.pop_back();
  }
  req.hwid = o.hwid;
  req.dry_run = o.dry_run;
  ValidateResult result = validate_device(ctx, req, static_cast<std::int64_t>(std::time(nullptr)));
  nlohmann::json answer = to_json(result);
  if (ctx.output() == OutputFormat::kJson) {
    print_result(OutputFormat::kJson, answer);
  } else {
    std::cout << answer["verdict"].get<std::string>() << ": " << answer["reason"].get<std::string>() << " ("
              << result.decision.detail << ")\n";
    if (result.device_id) std::cout << "device:  " << result.username << "/" << result.device_name << "\n";
    if (result.decision.allowed) {
      const auto& l = answer["limits"];
      std::cout << "limits:  " << (l["bytes_remaining"].is_null() ? "unlimited data" : std::to_string(l["bytes_remaining"].get<std::int64_t>()) + " bytes left")
                << ", " << (l["speed_limit_bps"].is_null() ? "unlimited speed" : std::to_string(l["speed_limit_bps"].get<std::int64_t>()) + " bit/s")
                << ", " << (l["expires_at"].is_null() ? "no expiry" : "expires " + l["expires_at"].get<std::string>()) << "\n";
      std::cout << "nodes:   ";
      if (result.nodes.empty()) std::cout << "(none a gateway can use)";
      for (std::size_t i = 0; i < result.nodes.size(); ++i) {
        std::cout << (i ? ", " : "") << result.nodes[i]["name"].get<std::string>();
      }
      std::cout << "\n";
    }
  }
  return result.decision.allowed ? 0 : static_cast<int>(ExitCode::kRefused);
}

}  // namespace httvps::access
