#pragma once
// The process environment, read once at start-up. Nothing else in httvps calls getenv:
// code that needs a variable receives this snapshot (or a value taken from it), so tests
// can build any environment they like.

#include <map>
#include <optional>
#include <string>

namespace httvps {

class Environment {
 public:
  Environment() = default;
  explicit Environment(std::map<std::string, std::string> vars) : vars_(std::move(vars)) {}

  // Copies the real process environment. Called once, by the start-up path.
  static Environment capture();

  // The value of NAME, or nullopt when unset. An empty value counts as set.
  std::optional<std::string> get(const std::string& name) const;
  bool has(const std::string& name) const { return vars_.count(name) != 0; }
  const std::map<std::string, std::string>& all() const { return vars_; }

  void set(const std::string& name, std::string value) { vars_[name] = std::move(value); }

 private:
  std::map<std::string, std::string> vars_;
};

}  // namespace httvps
