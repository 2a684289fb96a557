// CRF entity extractor benchmark: trains nlu::CrfEntityExtractor on a Rasa project's NLU data and
// scores a test file in hwu64/test.jsonl form (micro P/R/F1 on exact type+start+end, see
// shared/nlu/README.md), with the gold intent, the intent classifier's predicted intent, and a model
// trained without the intent attribute. Prints training time, peak memory and parse p50/p99.
// Usage: crf_bench [project=../shared/nlu/hwu64/train] [test=<project>/../test.jsonl]
//                  [--no-affixes] [--no-shape] [--window2] [--neighbour-suffix] [--no-gazetteers] [--no-intent-types]
//                  [--iterations N] [--l1 X] [--l2 X] [--no-predicted] [--no-plain]
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/json.h"
#include "nlu/crf_extractor.h"
#include "nlu/intent_classifier.h"
#include "nlu/nlu.h"
#include "project/loader.h"

using namespace parley;
using Clock = std::chrono::steady_clock;

namespace {

struct TestExample {
  std::string text, intent;
  std::set<std::tuple<std::string, size_t, size_t>> entities;  // type, start, end
};

std::vector<TestExample> read_tests(const std::string& path) {
  std::vector<TestExample> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const json::object obj = json::parse(line).as_object();
    TestExample ex;
    ex.text = std::string(obj.at("text").as_string());
    ex.intent = std::string(obj.at("intent").as_string());
    for (const auto& e : obj.at("entities").as_array()) {
      const json::object& o = e.as_object();
      ex.entities.emplace(std::string(o.at("entity").as_string()), static_cast<size_t>(o.at("start").to_number<int64_t>()),
                          static_cast<size_t>(o.at("end").to_number<int64_t>()));
    }
    out.push_back(std::move(ex));
  }
  return out;
}

// Peak resident memory of this process so far, in MB.
double peak_rss_mb() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;
  return 0.0;
}

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

struct Score {
  size_t tp = 0, predicted = 0, gold = 0;
  std::vector<double> parse_us;
};

// Extracts from every test text with the intent chosen by `intent_of` and scores exact matches.
template <typename IntentOf>
Score score(const nlu::CrfEntityExtractor& x, const std::vector<TestExample>& tests, IntentOf&& intent_of) {
  Score s;
  for (const TestExample& ex : tests) {
    const std::string intent = intent_of(ex);
    const auto t0 = Clock::now();
    const std::vector<nlu::Entity> found = x.extract(ex.text, intent);
    s.parse_us.push_back(ms_since(t0) * 1000.0);
    s.gold += ex.entities.size();
    s.predicted += found.size();
    for (const nlu::Entity& e : found) s.tp += ex.entities.count({e.entity, e.start, e.end});
  }
  std::sort(s.parse_us.begin(), s.parse_us.end());
  return s;
}

void print_row(const char* name, const Score& s) {
  const double p = s.predicted ? 100.0 * s.tp / s.predicted : 0.0, r = s.gold ? 100.0 * s.tp / s.gold : 0.0;
  const double f = p + r > 0 ? 2 * p * r / (p + r) : 0.0;
  auto pct = [&](double q) { return s.parse_us[std::min(s.parse_us.size() - 1, static_cast<size_t>(q * s.parse_us.size()))]; };
  std::printf("| %s | %.1f | %.1f | %.1f | %.1f | %.1f |\n", name, p, r, f, pct(0.5), pct(0.99));
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> positional;
  nlu::CrfFeatureOptions features;
  bool predicted = true, plain = true;
  int iterations = -1;
  double l1 = -1, l2 = -1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--no-affixes") features.affixes = false;
    else if (a == "--no-shape") features.shape = false;
    else if (a == "--window2") features.window2 = true;
    else if (a == "--neighbour-suffix") features.neighbour_suffix = true;
    else if (a == "--no-gazetteers") features.gazetteers = false;
    else if (a == "--no-intent-types") features.intent_types = false;
    else if (a == "--no-predicted") predicted = false;
    else if (a == "--no-plain") plain = false;
    else if (a == "--iterations" && i + 1 < argc) iterations = std::atoi(argv[++i]);
    else if (a == "--l1" && i + 1 < argc) l1 = std::atof(argv[++i]);
    else if (a == "--l2" && i + 1 < argc) l2 = std::atof(argv[++i]);
    else positional.push_back(a);
  }
  const std::string dir = positional.size() > 0 ? positional[0] : "../shared/nlu/hwu64/train";
  const std::string test_path = positional.size() > 1 ? positional[1] : dir + "/../test.jsonl";
  project::LoadResult loaded = project::load_project(dir);
  if (!loaded.ok()) {
    for (const auto& d : loaded.diagnostics) std::fprintf(stderr, "%s\n", d.to_string().c_str());
    return 1;
  }
  project::Project& project = loaded.project;
  if (iterations >= 0) project.config.crf_max_iterations = iterations;
  if (l1 >= 0) project.config.crf_l1 = l1;
  if (l2 >= 0) project.config.crf_l2 = l2;
  const std::vector<TestExample> tests = read_tests(test_path);
  const double rss0 = peak_rss_mb();

  features.intent = true;
  auto t0 = Clock::now();
  const std::clock_t cpu0 = std::clock();
  auto joint = nlu::CrfEntityExtractor::train(project.nlu, project.domain, project.config, features);
  const double train_ms = ms_since(t0), train_cpu_ms = 1000.0 * (std::clock() - cpu0) / CLOCKS_PER_SEC;
  if (!joint.ok()) {
    std::fprintf(stderr, "training failed: %s\n", joint.status().message().c_str());
    return 1;
  }
  const double rss1 = peak_rss_mb();
  std::printf("%zu training examples, %zu test examples, %zu types, %zu attributes kept, %zu weights (%zu non-zero)\n",
              project.nlu.examples.size(), tests.size(), joint->types(), joint->attributes(),
              joint->model().weights().size(), joint->model().nonzero_weights());
  std::printf("train (intent attribute): %.0f ms wall, %.0f ms CPU; peak RSS %.0f MB before, %.0f MB after; model %zu bytes\n",
              train_ms, train_cpu_ms, rss0, rss1, joint->to_bytes().size());

  std::printf("| run | P %% | R %% | F1 %% | parse p50 us | parse p99 us |\n|---|---|---|---|---|---|\n");
  for (int warm = 0; warm < 2; ++warm) (void)score(*joint, tests, [](const TestExample& ex) { return ex.intent; });
  print_row("intent attribute, gold intent", score(*joint, tests, [](const TestExample& ex) { return ex.intent; }));
  if (predicted) {
    std::vector<nlu::LabeledText> texts;
    for (const auto& ex : project.nlu.examples) texts.push_back({ex.intent, nlu::normalize(ex.text)});
    auto classifier = nlu::IntentClassifier::train(texts, nlu::ClassifierOptions{});
    if (classifier.ok()) {
      const auto& c = *classifier.value();
      size_t right = 0;
      print_row("intent attribute, predicted intent", score(*joint, tests, [&](const TestExample& ex) {
        auto top = c.predict(nlu::normalize(ex.text), 1);
        std::string name = top.empty() ? "" : top[0].name;
        right += name == ex.intent;
        return name;
      }));
      std::printf("(intent accuracy of the classifier: %.1f %%)\n", 100.0 * right / tests.size());
    }
  }
  if (plain) {
    features.intent = false;
    t0 = Clock::now();
    const std::clock_t plain_cpu0 = std::clock();
    auto alone = nlu::CrfEntityExtractor::train(project.nlu, project.domain, project.config, features);
    const double plain_ms = ms_since(t0), plain_cpu_ms = 1000.0 * (std::clock() - plain_cpu0) / CLOCKS_PER_SEC;
    print_row("no intent attribute", score(*alone, tests, [](const TestExample&) { return std::string(); }));
    std::printf("train (no intent attribute): %.0f ms wall, %.0f ms CPU\n", plain_ms, plain_cpu_ms);
  }
  std::printf("peak RSS at exit: %.0f MB\n", peak_rss_mb());
  return 0;
}
