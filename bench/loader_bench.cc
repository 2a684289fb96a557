// Loader benchmark: writes a synthetic project (intents with annotated examples, slots, forms,
// responses, stories and rules, generated deterministically) into a temporary folder and times
// load_project on it, then on shared/rasa/initbot when given.
// Usage: loader_bench [intents=200] [examples_per_intent=50] [stories=2000] [runs=5] [initbot_dir]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include "project/loader.h"

using namespace parley;
using Clock = std::chrono::steady_clock;

namespace {

std::string intent_name(int i) { return "intent_" + std::to_string(i); }

void write(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

size_t make_project(const std::filesystem::path& dir, int intents, int per_intent, int stories) {
  std::mt19937 rng(11);
  std::string domain = "version: \"3.1\"\nintents:\n";
  for (int i = 0; i < intents; ++i) domain += "  - " + intent_name(i) + "\n";
  domain += "entities:\n  - city\n  - size\nslots:\n";
  domain += "  city:\n    type: text\n    mappings:\n    - type: from_entity\n      entity: city\n";
  domain += "  size:\n    type: categorical\n    values: [small, large]\n    mappings:\n"
            "    - type: from_entity\n      entity: size\n";
  domain += "forms:\n  order_form:\n    required_slots: [city, size]\nresponses:\n";
  for (int i = 0; i < intents; ++i)
    domain += "  utter_" + std::to_string(i) + ":\n  - text: \"reply " + std::to_string(i) + " for {city}\"\n"
              "  - text: \"other reply\"\n    condition:\n    - type: slot\n      name: size\n      value: large\n";
  domain += "  utter_ask_city:\n  - text: where?\n  utter_ask_size:\n  - text: which size?\n";
  write(dir / "domain.yml", domain);

  static const char* kWords[] = {"please", "a", "the", "want", "to", "go", "need", "my", "order", "now"};
  std::string nlu = "version: \"3.1\"\nnlu:\n";
  size_t bytes = domain.size();
  for (int i = 0; i < intents; ++i) {
    nlu += "- intent: " + intent_name(i) + "\n  examples: |\n";
    for (int k = 0; k < per_intent; ++k) {
      std::string ex = "    - ";
      for (int w = 0; w < 5; ++w) ex += std::string(kWords[rng() % 10]) + " ";
      ex += "topic" + std::to_string(i);
      if (k % 3 == 0) ex += " to [Paris](city)";
      if (k % 5 == 0) ex += " [big]{\"entity\": \"size\", \"value\": \"large\"}";
      nlu += ex + "\n";
    }
  }
  write(dir / "data/nlu.yml", nlu);
  std::string st = "version: \"3.1\"\nstories:\n";
  for (int s = 0; s < stories; ++s) {
    st += "- story: story " + std::to_string(s) + "\n  steps:\n";
    for (int t = 0; t < 3; ++t) {
      int i = static_cast<int>(rng() % intents);
      st += "  - intent: " + intent_name(i) + "\n    entities:\n    - city: Paris\n";
      st += "  - action: utter_" + std::to_string(i) + "\n  - slot_was_set:\n    - city: Paris\n";
    }
  }
  st += "rules:\n";
  for (int i = 0; i < intents; ++i)
    st += "- rule: rule " + std::to_string(i) + "\n  condition:\n  - active_loop: null\n  steps:\n  - intent: " +
          intent_name(i) + "\n  - action: utter_" + std::to_string(i) + "\n";
  write(dir / "data/stories.yml", st);
  write(dir / "config.yml", "language: en\npipeline:\n  - name: FallbackClassifier\n    threshold: 0.3\n"
                            "policies:\n  - name: MemoizationPolicy\n  - name: RulePolicy\n");
  return bytes + nlu.size() + st.size();
}

void time_load(const std::string& label, const std::string& dir, int runs) {
  std::vector<double> ms;
  project::LoadResult last;
  for (int r = 0; r < runs; ++r) {
    auto t0 = Clock::now();
    last = project::load_project(dir);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  size_t errors = 0;
  for (const auto& d : last.diagnostics) errors += d.severity == project::Diagnostic::Severity::kError;
  std::printf("%-10s ok=%d errors=%zu diagnostics=%zu examples=%zu stories=%zu rules=%zu  "
              "load ms: min %.1f median %.1f max %.1f\n",
              label.c_str(), last.ok() ? 1 : 0, errors, last.diagnostics.size(), last.project.nlu.examples.size(),
              last.project.stories.size(), last.project.rules.size(), ms.front(), ms[ms.size() / 2], ms.back());
}

}  // namespace

int main(int argc, char** argv) {
  int intents = argc > 1 ? std::atoi(argv[1]) : 200;
  int per_intent = argc > 2 ? std::atoi(argv[2]) : 50;
  int stories = argc > 3 ? std::atoi(argv[3]) : 2000;
  int runs = argc > 4 ? std::max(1, std::atoi(argv[4])) : 5;
  auto dir = std::filesystem::temp_directory_path() / ("parley-loader-bench-" + std::to_string(::getpid()));
  size_t bytes = make_project(dir, std::max(1, intents), std::max(1, per_intent), std::max(0, stories));
  std::printf("synthetic project: %d intents x %d examples, %d stories, %.1f MB of YAML\n", intents, per_intent,
              stories, static_cast<double>(bytes) / (1024.0 * 1024.0));
  time_load("synthetic", dir.string(), runs);
  if (argc > 5) time_load("given", argv[5], runs);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
