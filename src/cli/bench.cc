// `parley bench`: drives a running Parley (or any server with the same routes) with scripted
// conversations and reports turns/s, latency percentiles, errors and mismatched replies.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli/commands.h"
#include "cli/load_generator.h"
#include "core/json.h"

namespace parley::cli {

namespace {

std::string ms(uint64_t us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f ms", us / 1000.0);
  return buf;
}

json::object result_json(const BenchOptions& o, const BenchResult& r) {
  const auto& h = r.latency;
  return {{"bot", o.bot},
          {"route", o.route},
          {"connections", o.connections},
          {"rate", o.rate},
          {"duration_s", r.seconds},
          {"turns", r.turns},
          {"turns_per_second", r.turns_per_second()},
          {"conversations", r.laps},
          {"errors", r.errors},
          {"mismatches", r.mismatches},
          {"latency_us", json::object{{"p50", h.quantile(0.5)},
                                      {"p90", h.quantile(0.9)},
                                      {"p99", h.quantile(0.99)},
                                      {"p999", h.quantile(0.999)},
                                      {"max", h.max()},
                                      {"mean", h.mean()}}},
          {"first_problem", r.first_problem}};
}

}  // namespace

void register_bench(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("bench", "Load-test a running server with scripted conversations");
  auto o = std::make_shared<BenchOptions>();
  auto url = std::make_shared<std::string>("127.0.0.1:8080");
  auto script = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  auto quiet = std::make_shared<bool>(false);
  cmd->add_option("--target", *url, "HOST:PORT of the server")->capture_default_str();
  cmd->add_option("--bot", o->bot, "bot name in the URL")->capture_default_str();
  cmd->add_option("--route", o->route, "native | rasa | ws")->capture_default_str();
  cmd->add_option("--script", *script,
                  "YAML list of {text, expect} turns, or a Rasa test-story file (default: the pizza order)");
  cmd->add_option("-c,--connections", o->connections, "concurrent connections")->capture_default_str();
  cmd->add_option("--rate", o->rate, "open loop: total turns/s to offer (0 = closed loop)")->capture_default_str();
  cmd->add_option("-d,--duration", o->duration_s, "measured seconds")->capture_default_str();
  cmd->add_option("--warmup", o->warmup_s, "seconds before measuring")->capture_default_str();
  cmd->add_option("--threads", o->threads, "load generator threads")->capture_default_str();
  cmd->add_option("--token", o->token, "credential sent as Authorization: Bearer (env PARLEY_AUTH_TOKEN)");
  if (const char* token = std::getenv("PARLEY_AUTH_TOKEN")) o->token = token;
  cmd->add_flag("--json", *as_json, "print the result as JSON");
  cmd->add_flag("-q,--quiet", *quiet, "no progress bar");
  cmd->callback([=] {
    auto colon = url->rfind(':');
    if (colon == std::string::npos) {
      std::cerr << "--target must be HOST:PORT\n";
      *exit_code = 2;
      return;
    }
    o->host = url->substr(0, colon);
    o->port = url->substr(colon + 1);
    if (o->host.size() > 2 && o->host.front() == '[') o->host = o->host.substr(1, o->host.size() - 2);
    if (script->empty()) {
      o->script = pizza_script();
    } else {
      auto s = load_script(*script);
      if (!s.ok()) {
        std::cerr << s.status().message() << "\n";
        *exit_code = 2;
        return;
      }
      o->script = std::move(s).value();
    }
    o->progress = !*quiet && !*as_json && isatty(STDERR_FILENO);
    auto r = run_load(*o);
    if (!r.ok()) {
      std::cerr << "parley bench: " << r.status().message() << "\n";
      *exit_code = 2;
      return;
    }
    const auto& h = r->latency;
    if (*as_json) {
      std::cout << json::serialize(result_json(*o, *r)) << "\n";
    } else {
      std::printf("parley bench: bot %s, route %s, %d connections, %s, %.0f s measured after %.0f s warm-up\n",
                  o->bot.c_str(), o->route.c_str(), o->connections,
                  o->rate > 0 ? ("open loop at " + std::to_string(static_cast<long>(o->rate)) + " turns/s").c_str()
                              : "closed loop",
                  o->duration_s, o->warmup_s);
      std::printf("  %-14s %12lu  (%.0f turns/s)\n", "turns", static_cast<unsigned long>(r->turns), r->turns_per_second());
      std::printf("  %-14s %12lu\n", "conversations", static_cast<unsigned long>(r->laps));
      std::printf("  %-14s %12lu\n", "errors", static_cast<unsigned long>(r->errors));
      std::printf("  %-14s %12lu\n", "mismatches", static_cast<unsigned long>(r->mismatches));
      std::printf("  %-14s p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n", "latency", ms(h.quantile(0.5)).c_str(),
                  ms(h.quantile(0.9)).c_str(), ms(h.quantile(0.99)).c_str(), ms(h.quantile(0.999)).c_str(),
                  ms(h.max()).c_str());
      if (!r->first_problem.empty()) std::printf("  first problem: %s\n", r->first_problem.c_str());
    }
    *exit_code = (r->errors > 0 || r->mismatches > 0 || r->turns == 0) ? 1 : 0;
  });
}

}  // namespace parley::cli
