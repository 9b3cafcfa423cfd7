#include "gateway/hello.hpp"

#include <nlohmann/json.hpp>

#include "tunnel/tunnel_frame.hpp"

namespace httvps::gateway {

std::optional<Hello> parse_hello(std::string_view text, std::string& error) noexcept {
  using Json = nlohmann::json;
  Json doc = Json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    error = "not a JSON object";
    return std::nullopt;
  }
  Hello hello;
  auto token = doc.find("token");
  if (token == doc.end() || !token->is_string()) {
    error = "token must be a string";
    return std::nullopt;
  }
  hello.token = token->get_ref<const std::string&>();
  if (hello.token.size() < 4 || hello.token.size() > 200) {
    error = "token must have 4 to 200 characters";
    return std::nullopt;
  }
  if (auto h = doc.find("hwid"); h != doc.end() && !h->is_null()) {
    if (!h->is_string() || h->get_ref<const std::string&>().empty() || h->get_ref<const std::string&>().size() > 256) {
      error = "hwid must be a string of 1 to 256 characters";
      return std::nullopt;
    }
    hello.hwid = h->get_ref<const std::string&>();
  }
  if (auto c = doc.find("client"); c != doc.end() && !c->is_null()) {
    if (!c->is_string() || c->get_ref<const std::string&>().size() > 100) {
      error = "client must be a string of at most 100 characters";
      return std::nullopt;
    }
    hello.client = c->get_ref<const std::string&>();
  }
  if (auto w = doc.find("window"); w != doc.end() && !w->is_null()) {
    if (!w->is_number_unsigned() || w->get<std::uint64_t>() < tunnel::kMinWindow ||
        w->get<std::uint64_t>() > tunnel::kMaxWindow) {
      error = "window must be an integer from 16384 to 16777216";
      return std::nullopt;
    }
    hello.window = static_cast<std::uint32_t>(w->get<std::uint64_t>());
  }
  return hello;
}

}  // namespace httvps::gateway
