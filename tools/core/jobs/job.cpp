#include "core/jobs/job.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/log.hpp"
#include "core/output.hpp"
#include "core/units.hpp"

namespace httvps::jobs {
namespace {

double wall_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

double steady_seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "unknown";
  return buf;
}

// Label values escape backslash, quote and newline (exposition format).
std::string label_value(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string number(double v) {
  if (std::floor(v) == v && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  return buf;
}

int status_code(const std::string& status) {
  if (status == "ok") return 0;
  if (status == "skipped") return 2;
  return 1;
}

}  // namespace

std::int64_t parse_now(std::string_view text) {
  bool digits = !text.empty() && text.size() <= 12;
  for (char c : text) digits = digits && c >= '0' && c <= '9';
  if (digits) return std::stoll(std::string(text));
  try {
    return units::parse_timestamp(text);
  } catch (const Failure&) {
    throw usage_error("--now: expected RFC 3339 or Unix seconds, got '" + std::string(text) + "'", "--now");
  }
}

Progress::Progress(std::string label, bool enabled) : label_(std::move(label)), enabled_(enabled) {
  started_ = steady_seconds();
}

void Progress::set_total(std::int64_t total) {
  total_ = total;
  draw(false);
}

void Progress::advance(std::int64_t n) {
  done_ += n;
  draw(false);
}

void Progress::draw(bool force) {
  if (!enabled_) return;
  double t = steady_seconds();
  if (!force && drawn_ && t - last_draw_ < 0.1) return;
  last_draw_ = t;
  drawn_ = true;
  double elapsed = t - started_;
  double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0;
  std::fprintf(stderr, "\r%s: %lld/%lld (%.0f/s)   ", label_.c_str(), static_cast<long long>(done_),
               static_cast<long long>(total_), rate);
  std::fflush(stderr);
}

void Progress::finish() {
  if (!enabled_ || !drawn_) return;
  draw(true);
  std::fputc('\n', stderr);
  drawn_ = false;
}

std::string render_textfile(const TextfileFacts& f) {
  std::ostringstream out;
  std::string lbl = "{job=\"" + label_value(f.job) + "\"}";
  auto gauge = [&](const std::string& name, const std::string& help, const std::string& value) {
    out << "# HELP " << name << ' ' << help << '\n' << "# TYPE " << name << " gauge\n" << name << lbl << ' ' << value << '\n';
  };
  if (f.last_success) {
    gauge("httvps_job_last_success_timestamp_seconds", "Unix time the job last finished successfully",
          number(*f.last_success));
  }
  gauge("httvps_job_duration_seconds", "Duration of the job's last run", number(f.duration_seconds));
  gauge("httvps_job_status", "Outcome of the job's last run: 0 ok, 1 failed, 2 skipped",
        std::to_string(status_code(f.status)));
  for (const auto& g : f.gauges) gauge("httvps_job_" + g.name, g.help, number(g.value));
  return out.str();
}

std::optional<double> last_success_in(std::string_view text) {
  static constexpr std::string_view kName = "httvps_job_last_success_timestamp_seconds{";
  std::size_t pos = 0;
  while ((pos = text.find(kName, pos)) != std::string_view::npos) {
    if (pos == 0 || text[pos - 1] == '\n') {
      std::size_t close = text.find("} ", pos);
      std::size_t eol = text.find('\n', pos);
      if (close != std::string_view::npos && close < eol) {
        std::string v(text.substr(close + 2, eol == std::string_view::npos ? std::string_view::npos : eol - close - 2));
        try {
          return std::stod(v);
        } catch (const std::exception&) {
          return std::nullopt;
        }
      }
    }
    pos += kName.size();
  }
  return std::nullopt;
}

void write_file_atomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Failure(ExitCode::kInternal, "cannot write textfile '" + tmp + "'", "--textfile");
  std::size_t off = 0;
  bool ok = true;
  while (ok && off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n <= 0) ok = false;
    else off += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw Failure(ExitCode::kInternal, "cannot write textfile '" + path + "'", "--textfile");
  }
}

JobRun::JobRun(Context& ctx, std::string job, const JobOptions& options, std::int64_t now)
    : ctx_(ctx), job_(std::move(job)), now_(now), dry_run_(options.dry_run),
      progress_(job_, isatty(STDERR_FILENO) != 0) {}

std::optional<db::AdvisoryLock> JobRun::try_lock_unit(std::string_view unit) {
  return db::AdvisoryLock::try_acquire(db(), db::lock_key(job_ + ":" + std::string(unit)));
}

db::AdvisoryLock JobRun::lock_unit(std::string_view unit) {
  return db::AdvisoryLock::acquire(db(), db::lock_key(job_ + ":" + std::string(unit)));
}

void JobRun::gauge(std::string name, double value, std::string help) {
  for (auto& g : gauges_) {
    if (g.name == name) {
      g.value = value;
      return;
    }
  }
  gauges_.push_back(Gauge{std::move(name), std::move(help), value});
}

void JobRun::skip(std::string reason) { throw Skipped{std::move(reason)}; }

int run_job(Context& ctx, std::string job, const JobOptions& options, const JobBody& body) {
  std::int64_t now = options.now ? parse_now(*options.now) : static_cast<std::int64_t>(wall_seconds());
  double started = steady_seconds();
  JobRun run(ctx, job, options, now);

  auto& conn = ctx.db();  // unreachable: DbError(kConnect) → temp_failure, nothing recorded
  std::int64_t run_id = conn.exec("job_run_start", {job, host_name(), static_cast<long long>(getpid()), options.dry_run})[0]
                            .int64("id");

  std::string status = "ok";
  std::string error;
  nlohmann::json summary = nlohmann::json::object();
  std::optional<Failure> failure;
  try {
    summary = body(run);
    if (!summary.is_object()) summary = nlohmann::json{{"result", summary}};
  } catch (const Skipped& s) {
    status = "skipped";
    summary = nlohmann::json{{"reason", s.reason}};
  } catch (const Failure& f) {
    status = "failed";
    error = f.what();
    failure = f;
  } catch (const std::exception& e) {
    status = "failed";
    error = std::string("internal error: ") + e.what();
    failure = Failure(ExitCode::kInternal, error);
  }
  run.progress().finish();
  double duration = steady_seconds() - started;

  try {
    conn.exec("job_run_finish", {static_cast<long long>(run_id), status,
                                 status == "failed" ? db::Param(std::nullopt) : db::Param(summary.dump()),
                                 error.empty() ? db::Param(std::nullopt) : db::Param(error)});
  } catch (const Failure& f) {
    log::warn("cannot record the end of the run", {{"job", job}, {"run_id", run_id}, {"error", f.what()}});
  }

  if (options.textfile) {
    TextfileFacts facts{job, status, duration, std::nullopt, run.gauges()};
    if (status == "ok") {
      facts.last_success = wall_seconds();
    } else {
      std::ifstream in(*options.textfile);
      std::stringstream previous;
      previous << in.rdbuf();
      facts.last_success = last_success_in(previous.str());
    }
    write_file_atomically(*options.textfile, render_textfile(facts));
  }

  if (failure) throw *failure;

  nlohmann::json out = {{"job", job}, {"run_id", run_id}, {"status", status}, {"dry_run", options.dry_run},
                        {"now", units::format_timestamp(now)}, {"duration_seconds", std::round(duration * 1000) / 1000}};
  for (auto& [k, v] : summary.items()) out[k] = v;
  print_result(ctx.output(), out);
  return 0;
}

}  // namespace httvps::jobs
