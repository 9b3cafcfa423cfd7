// Administrators. Passwords arrive from stdin or a file (never argv), are checked for
// minimum strength and stored only as scrypt hashes. The last enabled owner cannot be
// deleted, disabled or demoted, so an installation always has someone who manages admins.

#include "core/admin/resource_ops.hpp"
#include "core/crypto.hpp"

namespace httvps::admin {
namespace {

void check_password(const std::string& password) {
  std::size_t chars = 0;  // UTF-8 code points, not bytes
  for (unsigned char c : password) chars += (c & 0xC0) != 0x80 ? 1 : 0;
  if (chars < 12) throw usage_error("password must be at least 12 characters", "password");
  if (password.size() > 1024) throw usage_error("password must be at most 1024 bytes", "password");
}

bool is_enabled_owner(const nlohmann::json& a) { return a["role"] == "owner" && !a["disabled"].get<bool>(); }

void keep_an_owner(Context& ctx, const nlohmann::json& before, const nlohmann::json& after_or_null) {
  if (!is_enabled_owner(before)) return;
  if (!after_or_null.is_null() && is_enabled_owner(after_or_null)) return;
  // admin_lock_owners locks the enabled owners' rows, so two concurrent demotions of two
  // different owners serialise and the second one sees only one owner left.
  if (ctx.db().exec("admin_lock_owners").size() <= 1) {
    throw conflict("'" + before["username"].get<std::string>() + "' is the last enabled owner; make another owner first");
  }
}

}  // namespace

nlohmann::json admin_create(Context& ctx, const ResourceSpec& spec, const std::map<std::string, std::string>& inputs,
                            const std::optional<std::string>& password) {
  if (!password) throw usage_error("an admin needs a password: --password-stdin or --password-file FILE", "password");
  check_password(*password);
  nlohmann::json record = apply_inputs(spec, {}, inputs, true);
  std::string hash = crypto::hash_password(*password);
  auto& db = ctx.db();
  db::Transaction tx(db);
  try {
    db.exec("admin_insert", {to_param(record["username"]), hash, to_param(record["role"]), to_param(record["disabled"])});
  } catch (const db::DbError& e) {
    rethrow_write_failure(spec, record, e);
  }
  nlohmann::json after = get_record(ctx, spec, record["username"].get<std::string>());
  audit_change(ctx, spec, "create", nullptr, after);
  tx.commit();
  return after;
}

nlohmann::json admin_update(Context& ctx, const ResourceSpec& spec, const std::string& key,
                            const std::map<std::string, std::string>& inputs,
                            const std::optional<std::string>& password) {
  if (password) check_password(*password);
  auto& db = ctx.db();
  db::Transaction tx(db);
  nlohmann::json before = get_record(ctx, spec, key);
  nlohmann::json record = apply_inputs(spec, editable_part(spec, before), inputs, false);
  keep_an_owner(ctx, before, record);
  const long long id = before["id"].get<std::int64_t>();
  try {
    db.exec("admin_update", {id, to_param(record["username"]), to_param(record["role"]), to_param(record["disabled"])});
  } catch (const db::DbError& e) {
    rethrow_write_failure(spec, record, e);
  }
  if (password) db.exec("admin_set_password", {id, crypto::hash_password(*password)});
  nlohmann::json after = get_record(ctx, spec, record["username"].get<std::string>());
  if (password) after["password_changed"] = true;
  audit_change(ctx, spec, "update", before, after);
  tx.commit();
  return after;
}

void admin_check_delete(Context& ctx, const nlohmann::json& before) { keep_an_owner(ctx, before, nullptr); }

}  // namespace httvps::admin
