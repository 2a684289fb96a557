// Scoring parses against gold examples, and the fold split of cross-validation.
#include "nlu/evaluate.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>
#include <tuple>

namespace parley::nlu {

namespace {

using Span = std::tuple<std::string, size_t, size_t>;  // entity, start, end (bytes)

void score_entities(const project::NluExample& ex, const ParseResult& parsed, NluReport& report) {
  std::multiset<Span> gold;
  for (const auto& a : ex.entities) gold.emplace(a.entity, a.start, a.end);
  for (const auto& e : parsed.entities) {
    Span s{e.entity, e.start, e.end};
    auto it = gold.find(s);
    if (it != gold.end()) {
      gold.erase(it);
      ++report.entities.tp;
      ++report.entity_types[e.entity].tp;
    } else {
      ++report.entities.fp;
      ++report.entity_types[e.entity].fp;
    }
  }
  for (const auto& [entity, start, end] : gold) {
    ++report.entities.fn;
    ++report.entity_types[entity].fn;
  }
  // Overlap matching, one to one, gold in order.
  std::vector<bool> used(parsed.entities.size(), false);
  for (const auto& a : ex.entities) {
    bool found = false;
    for (size_t i = 0; i < parsed.entities.size() && !found; ++i) {
      const Entity& e = parsed.entities[i];
      if (!used[i] && e.entity == a.entity && e.start < a.end && a.start < e.end) used[i] = found = true;
    }
    ++(found ? report.entities_overlap.tp : report.entities_overlap.fn);
  }
  for (bool u : used)
    if (!u) ++report.entities_overlap.fp;
}

std::string percent(double v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%6.2f", v * 100);
  return buf;
}

void prf_rows(const std::map<std::string, PrfCounts>& rows, std::string& out) {
  std::vector<std::pair<std::string, PrfCounts>> sorted(rows.begin(), rows.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second.f1() < b.second.f1(); });
  char buf[256];
  std::snprintf(buf, sizeof buf, "  %-40s %9s %9s %9s %8s\n", "", "precision", "recall", "f1", "support");
  out += buf;
  for (const auto& [name, c] : sorted) {
    std::snprintf(buf, sizeof buf, "  %-40s %9s %9s %9s %8zu\n", name.substr(0, 40).c_str(),
                  percent(c.precision()).c_str(), percent(c.recall()).c_str(), percent(c.f1()).c_str(), c.support());
    out += buf;
  }
}

json::object prf_json(const PrfCounts& c) {
  json::object o;
  o["precision"] = c.precision();
  o["recall"] = c.recall();
  o["f1"] = c.f1();
  o["support"] = c.support();
  return o;
}

json::object prf_map_json(const std::map<std::string, PrfCounts>& rows) {
  json::object o;
  for (const auto& [name, c] : rows) o[name] = prf_json(c);
  return o;
}

void score(const project::NluExample& ex, const ParseResult& parsed, NluReport& report) {
  ++report.examples;
  const std::string& predicted = parsed.intent.name;
  // As `rasa test nlu`: a retrieval intent (faq/ask_name) is judged by its base, which is what
  // the intent classifier predicts.
  const std::string gold(project::base_intent(ex.intent));
  if (predicted == gold) {
    ++report.intent_correct;
    ++report.intents[gold].tp;
  } else {
    ++report.intents[gold].fn;
    ++report.intents[predicted].fp;
    ++report.confusions[{gold, predicted}];
    report.intent_errors.push_back({ex.text, gold, predicted, parsed.intent.confidence});
  }
  score_entities(ex, parsed, report);
}

}  // namespace

double NluReport::parse_percentile(double q) const {
  if (parse_micros.empty()) return 0;
  std::vector<double> v = parse_micros;
  size_t k = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

void evaluate(const Model& model, const std::vector<project::NluExample>& examples, NluReport& report) {
  // Parse times are those of a warm server: a few untimed parses first fault in the model's pages,
  // and every example is timed over several passes so that one scheduling hiccup does not make the
  // p99 (the scores come from the first pass; parsing is deterministic).
  constexpr size_t kWarmUp = 32;
  constexpr int kTimedPasses = 5;
  for (size_t i = 0; i < examples.size() && i < kWarmUp; ++i) (void)model.parse(examples[i].text);
  for (int pass = 0; pass < kTimedPasses; ++pass)
    for (const auto& ex : examples) {
      auto t0 = std::chrono::steady_clock::now();
      ParseResult parsed = model.parse(ex.text);
      auto t1 = std::chrono::steady_clock::now();
      report.parse_micros.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
      if (pass == 0) score(ex, parsed, report);
    }
}

Status cross_validate(const project::NluData& data, int folds, const Trainer& trainer, NluReport& report) {
  if (folds < 2) return Status::invalid("cross-validation needs at least 2 folds, not " + std::to_string(folds));
  // Stratified: the examples of each intent are dealt round-robin over the folds, in file order,
  // continuing where the previous intent stopped so that small intents do not all land in fold 0.
  std::map<std::string, std::vector<size_t>> by_intent;
  for (size_t i = 0; i < data.examples.size(); ++i) by_intent[data.examples[i].intent].push_back(i);
  std::vector<int> fold_of(data.examples.size(), 0);
  int next = 0;
  for (const auto& [intent, indices] : by_intent)
    for (size_t i : indices) {
      fold_of[i] = next;
      next = (next + 1) % folds;
    }
  for (int f = 0; f < folds; ++f) {
    project::NluData train = data;
    train.examples.clear();
    std::vector<project::NluExample> test;
    for (size_t i = 0; i < data.examples.size(); ++i)
      (fold_of[i] == f ? test : train.examples).push_back(data.examples[i]);
    auto t0 = std::chrono::steady_clock::now();
    auto model = trainer(train);
    report.train_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!model.ok()) return model.status();
    evaluate(**model, test, report);
  }
  return Status::ok();
}

json::object report_json(const NluReport& report) {
  json::object intent;
  intent["accuracy"] = report.intent_accuracy();
  intent["examples"] = report.examples;
  intent["report"] = prf_map_json(report.intents);
  json::array confusions;
  for (const auto& [pair, count] : report.confusions)
    confusions.push_back(json::object{{"intent", pair.first}, {"predicted", pair.second}, {"count", count}});
  intent["confusions"] = std::move(confusions);
  json::array errors;
  for (const IntentError& e : report.intent_errors)
    errors.push_back(json::object{{"text", e.text}, {"intent", e.intent},
                                  {"intent_prediction", json::object{{"name", e.predicted}, {"confidence", e.confidence}}}});
  intent["errors"] = std::move(errors);
  json::object entities = prf_json(report.entities);
  entities["report"] = prf_map_json(report.entity_types);
  entities["overlap"] = prf_json(report.entities_overlap);
  json::object parse;
  parse["p50"] = report.parse_percentile(0.5);
  parse["p99"] = report.parse_percentile(0.99);
  json::object out;
  out["intent"] = std::move(intent);
  out["entities"] = std::move(entities);
  out["parse_us"] = std::move(parse);
  if (report.train_seconds > 0) out["train_seconds"] = report.train_seconds;
  return out;
}

std::string report_text(const NluReport& report, size_t max_confusions) {
  std::string out;
  char buf[256];
  std::snprintf(buf, sizeof buf, "intent accuracy: %s%% (%zu of %zu)\n", percent(report.intent_accuracy()).c_str(),
                report.intent_correct, report.examples);
  out += buf;
  std::snprintf(buf, sizeof buf,
                "entities (exact type and span): precision %s%%, recall %s%%, F1 %s%% (%zu gold, %zu predicted)\n",
                percent(report.entities.precision()).c_str(), percent(report.entities.recall()).c_str(),
                percent(report.entities.f1()).c_str(), report.entities.support(),
                report.entities.tp + report.entities.fp);
  out += buf;
  std::snprintf(buf, sizeof buf, "entities (type and overlap):    precision %s%%, recall %s%%, F1 %s%%\n",
                percent(report.entities_overlap.precision()).c_str(), percent(report.entities_overlap.recall()).c_str(),
                percent(report.entities_overlap.f1()).c_str());
  out += buf;
  std::snprintf(buf, sizeof buf, "parse: p50 %.1f us, p99 %.1f us\n", report.parse_percentile(0.5),
                report.parse_percentile(0.99));
  out += buf;
  out += "\nintents:\n";
  prf_rows(report.intents, out);
  if (!report.entity_types.empty()) {
    out += "\nentities:\n";
    prf_rows(report.entity_types, out);
  }
  if (!report.confusions.empty()) {
    std::vector<std::pair<size_t, std::pair<std::string, std::string>>> top;
    for (const auto& [pair, count] : report.confusions) top.push_back({count, pair});
    std::stable_sort(top.begin(), top.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    out += "\nmost frequent confusions (intent -> predicted):\n";
    for (size_t i = 0; i < top.size() && i < max_confusions; ++i) {
      std::snprintf(buf, sizeof buf, "  %4zu  %s -> %s\n", top[i].first, top[i].second.first.c_str(),
                    top[i].second.second.c_str());
      out += buf;
    }
  }
  return out;
}

}  // namespace parley::nlu
