// vless node configs: rendering from the template in templates/v2ray/, the user diff, and
// (when v2ray is installed) v2ray's own -test accepting what is rendered.
#include "core/nodes/vless_config.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

using namespace httvps;
using namespace httvps::nodes;

namespace {

const std::string kA = "11111111-1111-4111-8111-111111111111";
const std::string kB = "22222222-2222-4222-8222-222222222222";
const std::string kC = "33333333-3333-4333-8333-333333333333";

std::string the_template() {
  return read_vless_template(std::string(HTTVPS_SOURCE_DIR) + "/templates/v2ray/vless-node.json.in");
}

std::string field_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Failure& e) {
    return e.field().empty() ? std::string("code ") + std::to_string(static_cast<int>(e.code())) : e.field();
  }
  return "none";
}

}  // namespace

TEST_CASE("render_vless_config fills the template with the node and its users, sorted", "[vless-config]") {
  std::string text = render_vless_config(the_template(), {"127.0.0.1", 10443, {{kB, "dev-2@httvps"}, {kA, "dev-1@httvps"}}});
  auto j = nlohmann::json::parse(text);
  const auto& in = j["inbounds"][0];
  CHECK(in["protocol"] == "vless");
  CHECK(in["listen"] == "127.0.0.1");
  CHECK(in["port"] == 10443);
  CHECK(in["settings"]["decryption"] == "none");
  CHECK(in["settings"]["clients"] == nlohmann::json::parse(R"([{"id":")" + kA + R"(","email":"dev-1@httvps","level":0},
                                                               {"id":")" + kB + R"(","email":"dev-2@httvps","level":0}])"));
  CHECK(text == render_vless_config(the_template(), {"127.0.0.1", 10443, {{kA, "dev-1@httvps"}, {kB, "dev-2@httvps"}}}));
  CHECK(nlohmann::json::parse(render_vless_config(the_template(), {"0.0.0.0", 1, {}}))["inbounds"][0]["settings"]["clients"].empty());
}

TEST_CASE("render_vless_config refuses a bad node and a bad template", "[vless-config]") {
  const std::string t = the_template();
  CHECK(field_of([&] { render_vless_config(t, {"0.0.0.0", 0, {}}); }) == "port");
  CHECK(field_of([&] { render_vless_config(t, {"", 1, {}}); }) == "listen");
  CHECK(field_of([&] { render_vless_config(t, {"0.0.0.0", 1, {{"not-a-uuid", "x"}}}); }) == "uuid");
  CHECK(field_of([&] { render_vless_config(t, {"0.0.0.0", 1, {{kA, ""}}}); }) == "email");
  CHECK(field_of([&] { render_vless_config(t, {"0.0.0.0", 1, {{kA, "a\nb"}}}); }) == "email");
  CHECK(field_of([&] { render_vless_config(t, {"0.0.0.0", 1, {{kA, "\xff"}}}); }) == "email");
  CHECK(field_of([&] { render_vless_config(t, {"0.0.0.0", 1, {{kA, "x"}, {kA, "y"}}}); }) == "uuid");
  CHECK(field_of([&] { render_vless_config(t, {"0.0.0.0", 1, {{kA, "x"}, {kB, "x"}}}); }) == "email");
  CHECK(field_of([] { render_vless_config("{", {"0.0.0.0", 1, {}}); }) == "code 78");
  CHECK(field_of([] { render_vless_config(R"({"port":"@PORT@","listen":"@LISTEN@"})", {"0.0.0.0", 1, {}}); }) == "code 78");
  CHECK(field_of([] { render_vless_config(R"({"a":"@PORT@","b":"@LISTEN@","c":"@CLIENTS@","d":"@NOPE@"})", {"0.0.0.0", 1, {}}); }) == "code 78");
  CHECK(field_of([] { read_vless_template("/nonexistent/vless.json.in"); }) == "code 78");
}

TEST_CASE("what_changed lists the users a new config adds, removes and renames", "[vless-config]") {
  const std::string t = the_template();
  auto render = [&](std::vector<VlessUser> users, int port = 10443) { return render_vless_config(t, {"0.0.0.0", port, users}); };
  struct Row {
    std::string name;
    std::string before, after;
    std::vector<VlessUser> added, removed, renamed;
    bool settings;
  };
  for (const Row& row : std::vector<Row>{
           {"no change", render({{kA, "a"}}), render({{kA, "a"}}), {}, {}, {}, false},
           {"a first config adds everyone", "", render({{kB, "b"}, {kA, "a"}}), {{kA, "a"}, {kB, "b"}}, {}, {}, true},
           {"a revoked device goes, a new one comes", render({{kA, "a"}, {kB, "b"}}), render({{kA, "a"}, {kC, "c"}}),
            {{kC, "c"}}, {{kB, "b"}}, {}, false},
           {"an email changes under the same uuid", render({{kA, "a"}}), render({{kA, "a2"}}), {}, {}, {{kA, "a2"}}, false},
           {"a moved port is a settings change", render({{kA, "a"}}), render({{kA, "a"}}, 10444), {}, {}, {}, true},
           {"a removed config removes everyone", render({{kA, "a"}}), "", {}, {{kA, "a"}}, {}, true},
       }) {
    INFO(row.name);
    auto c = what_changed(row.before, row.after);
    CHECK(c.added == row.added);
    CHECK(c.removed == row.removed);
    CHECK(c.renamed == row.renamed);
    CHECK(c.settings_changed == row.settings);
  }
  CHECK(what_changed("", "").empty());
  CHECK(field_of([] { what_changed("{", ""); }) == "code 78");
  CHECK(field_of([] { what_changed(R"({"inbounds":[{"protocol":"vless","settings":{}}]})", ""); }) == "code 78");
  CHECK(field_of([] { what_changed(R"({"inbounds":[{"protocol":"vless","settings":{"clients":[{"email":"x"}]}}]})", ""); }) == "code 78");
  // Other protocols' inbounds are not users of this node.
  CHECK(vless_users(R"({"inbounds":[{"protocol":"vmess","settings":{"clients":[{"id":"x"}]}}]})").empty());
}

TEST_CASE("v2ray accepts the rendered config", "[vless-config]") {
  if (std::system("command -v v2ray >/dev/null 2>&1") != 0) {
    WARN("v2ray is not installed: the rendered config is not checked by v2ray");
    return;
  }
  std::string path = "/tmp/httvps-vless-" + std::to_string(::getpid()) + ".json";
  std::ofstream(path) << render_vless_config(the_template(), {"127.0.0.1", 10443, {{kA, "dev-1@httvps"}}});
  int rc = std::system(("v2ray -test -config " + path + " >/dev/null 2>&1").c_str());
  std::remove(path.c_str());
  CHECK(rc == 0);
}
