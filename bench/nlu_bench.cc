// NLU benchmark: trains on 1,000 synthetic examples over 20 intents (generated deterministically)
// and times training and one-message parses.
// Usage: nlu_bench [messages=20000] [train_runs=3] [epochs=0 (chosen from the data size)]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "nlu/nlu.h"

using namespace parley;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kIntents = 20;
constexpr int kExamplesPerIntent = 50;

const char* kFiller[] = {"i",    "want", "to",   "please", "can",  "you",  "the",   "a",    "my",  "me",
                         "would", "like", "need", "could",  "help", "with", "about", "some", "now", "today"};

// Each intent has its own topic words; examples mix them with common filler words.
std::string topic_word(int intent, int k) {
  static const char* kStems[] = {"book", "cancel", "pay", "track", "order", "refund", "change", "reset", "open",
                                 "close", "upgrade", "report", "find", "rate", "join", "leave", "send", "check",
                                 "print", "renew"};
  static const char* kNouns[] = {"flight", "table", "bill", "parcel", "pizza", "ticket", "address", "password",
                                 "account", "card", "plan", "issue", "store", "driver", "club", "group",
                                 "invoice", "balance", "receipt", "licence"};
  return k % 2 == 0 ? std::string(kStems[(intent + k / 2) % kIntents]) + (k >= 4 ? "ing" : "")
                    : std::string(kNouns[(intent * 3 + k / 2) % kIntents]) + (k >= 4 ? "s" : "");
}

std::string sentence(int intent, std::mt19937& rng) {
  std::string s;
  int words = 3 + static_cast<int>(rng() % 6);
  int topic_at = static_cast<int>(rng() % words);
  for (int w = 0; w < words; ++w) {
    if (!s.empty()) s += ' ';
    if (w == topic_at || rng() % 3 == 0)
      s += topic_word(intent, static_cast<int>(rng() % 6));
    else
      s += kFiller[rng() % 20];
  }
  if (rng() % 4 == 0) s += " " + std::to_string(rng() % 500);
  return s;
}

// Resident memory of this process, in MB.
double rss_mb() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<double>(resident) * 4096.0 / (1024.0 * 1024.0);
}

double us(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

}  // namespace

int main(int argc, char** argv) {
  const int messages = argc > 1 ? std::atoi(argv[1]) : 20000;
  const int train_runs = argc > 2 ? std::atoi(argv[2]) : 3;
  const int epochs = argc > 3 ? std::atoi(argv[3]) : 0;

  std::mt19937 rng(42);
  project::NluData data;
  project::Domain domain;
  for (int i = 0; i < kIntents; ++i) {
    std::string name = "intent_" + std::to_string(i);
    domain.intents.push_back({name, true, {}, {}, {}});
    for (int e = 0; e < kExamplesPerIntent; ++e) data.examples.push_back({name, sentence(i, rng), {}, {}});
  }
  // Entities too, so that parse times include extraction: a lookup table, a regex and numbers.
  domain.entities = {"city", "ref", "number"};
  project::LookupTable cities{"city", {}, {}};
  for (int c = 0; c < 200; ++c) cities.elements.push_back("city" + std::to_string(c) + (c % 3 ? " town" : ""));
  data.lookups.push_back(cities);
  data.regexes.push_back({"ref", {"[a-z]{2}-[0-9]{4}"}, {}});

  nlu::TrainOptions opts;
  opts.fallback_enabled = true;
  opts.epochs = epochs;
  std::vector<double> train_ms;
  std::shared_ptr<const nlu::Model> model;
  const double rss_before = rss_mb();
  for (int r = 0; r < train_runs; ++r) {
    auto t0 = Clock::now();
    auto m = nlu::train(data, domain, opts);
    auto t1 = Clock::now();
    if (!m.ok()) {
      std::fprintf(stderr, "training failed: %s\n", m.status().message().c_str());
      return 1;
    }
    train_ms.push_back(us(t1 - t0) / 1000.0);
    model = m.value();
  }
  std::sort(train_ms.begin(), train_ms.end());
  const double rss_model = rss_mb() - rss_before;  // the one model still held (others were freed)

  // Unseen messages from the same distribution (a different seed), some with entities.
  std::mt19937 probe_rng(7);
  std::vector<std::string> probes;
  std::vector<int> truth;
  for (int i = 0; i < messages; ++i) {
    int intent = static_cast<int>(probe_rng() % kIntents);
    std::string s = sentence(intent, probe_rng);
    if (i % 5 == 0) s += " in city" + std::to_string(probe_rng() % 200);
    if (i % 7 == 0) s += " ref ab-" + std::to_string(1000 + probe_rng() % 9000);
    probes.push_back(std::move(s));
    truth.push_back(intent);
  }
  for (int i = 0; i < 200; ++i) (void)model->parse(probes[i]);  // warm up

  std::vector<double> parse_us;
  parse_us.reserve(probes.size());
  int right = 0;
  size_t entities = 0;
  for (size_t i = 0; i < probes.size(); ++i) {
    auto t0 = Clock::now();
    nlu::ParseResult r = model->parse(probes[i]);
    auto t1 = Clock::now();
    parse_us.push_back(us(t1 - t0));
    right += r.intent.name == "intent_" + std::to_string(truth[i]);
    entities += r.entities.size();
  }
  std::sort(parse_us.begin(), parse_us.end());
  auto pct = [&](double p) { return parse_us[std::min(parse_us.size() - 1, static_cast<size_t>(p * parse_us.size()))]; };

  std::printf("NLU benchmark: %d intents, %zu examples, %zu lookup elements, 1 regex, numbers\n", kIntents,
              data.examples.size(), cities.elements.size());
  std::printf("| measure | value |\n|---|---|\n");
  std::printf("| train (median of %d) | %.0f ms |\n", train_runs, train_ms[train_ms.size() / 2]);
  std::printf("| train (min / max) | %.0f / %.0f ms |\n", train_ms.front(), train_ms.back());
  std::printf("| resident memory of one trained model | %.1f MB |\n", rss_model);
  std::printf("| parse median (%d messages) | %.1f us |\n", messages, pct(0.5));
  std::printf("| parse p90 | %.1f us |\n", pct(0.9));
  std::printf("| parse p99 | %.1f us |\n", pct(0.99));
  std::printf("| parse max | %.1f us |\n", parse_us.back());
  std::printf("| accuracy on unseen synthetic messages | %.1f %% |\n", 100.0 * right / messages);
  std::printf("| entities found | %zu |\n", entities);
  return 0;
}
