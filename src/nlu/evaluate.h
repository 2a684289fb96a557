// Evaluating an NLU model on labelled examples, as `rasa test nlu` does: intent accuracy and a
// report per intent (precision, recall, F1), the confusions, and entities scored on exact spans
// (a predicted entity counts only when its type, start and end equal a gold entity's), micro
// averaged and per entity type. Also k-fold cross-validation over a project's own examples.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "nlu/nlu.h"
#include "project/project.h"

namespace parley::nlu {

struct PrfCounts {
  size_t tp = 0, fp = 0, fn = 0;
  double precision() const { return tp + fp == 0 ? 0.0 : static_cast<double>(tp) / static_cast<double>(tp + fp); }
  double recall() const { return tp + fn == 0 ? 0.0 : static_cast<double>(tp) / static_cast<double>(tp + fn); }
  double f1() const {
    double p = precision(), r = recall();
    return p + r == 0 ? 0.0 : 2 * p * r / (p + r);
  }
  size_t support() const { return tp + fn; }
};

// A misclassified example, as Rasa's intent_errors.json lists it.
struct IntentError {
  std::string text, intent, predicted;
  double confidence = 0;
};

struct NluReport {
  size_t examples = 0;
  size_t intent_correct = 0;
  std::map<std::string, PrfCounts> intents;                          // by intent name
  std::map<std::pair<std::string, std::string>, size_t> confusions;  // (gold, predicted) -> count
  std::vector<IntentError> intent_errors;                            // in the order of the examples
  PrfCounts entities;                                                // micro over all mentions
  // The looser measure of the HWU64 paper and the DIET paper on it: a gold entity is found when a
  // predicted entity of the same type overlaps it (each predicted entity matches at most once).
  PrfCounts entities_overlap;
  std::map<std::string, PrfCounts> entity_types;                     // by entity name
  std::vector<double> parse_micros;                                  // each example, several passes
  double train_seconds = 0;                                          // summed over folds

  double intent_accuracy() const {
    return examples == 0 ? 0.0 : static_cast<double>(intent_correct) / static_cast<double>(examples);
  }
  double parse_percentile(double q) const;  // microseconds; 0 without examples
};

// Parses every example with `model` and adds the outcome to `report`. Gold and predicted offsets
// are both byte offsets of the example's text (as the loader reads annotations).
void evaluate(const Model& model, const std::vector<project::NluExample>& examples, NluReport& report);

// k-fold cross-validation: the examples are split into `folds` parts stratified by intent (a fixed
// deterministic assignment), a model is trained on all parts but one and evaluated on that one.
// `trainer` trains a model on the given data (for example nlu::train with the project's options).
using Trainer = std::function<Result<std::shared_ptr<const Model>>(const project::NluData&)>;
Status cross_validate(const project::NluData& data, int folds, const Trainer& trainer, NluReport& report);

// {"intent": {"accuracy", "report": {name: {precision, recall, f1, support}}, "confusions": [...],
//  "errors": [{"text", "intent", "intent_prediction": {"name", "confidence"}}] (as intent_errors.json)},
//  "entities": {"precision", "recall", "f1", "report": {...}}, "parse_us": {"p50", "p99"}}
json::object report_json(const NluReport& report);

// The report as text tables: the totals first, then per intent and per entity type (lowest F1
// first), then the most frequent confusions.
std::string report_text(const NluReport& report, size_t max_confusions = 20);

}  // namespace parley::nlu
