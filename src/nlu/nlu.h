// Natural-language understanding: an intent classifier and entity extractors trained at load time
// from a project's NLU data. A Model is immutable once trained and safe to use from many threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/blobs.h"
#include "core/json.h"
#include "core/status.h"
#include "project/project.h"

namespace parley::nlu {

struct Entity {
  std::string entity;
  std::string value;        // after synonym mapping; numbers as their decimal text
  std::string text;         // the matched text in the message
  size_t start = 0, end = 0;  // character (byte) offsets in the message
  double confidence = 1.0;
  std::string extractor;    // "annotated", "lookup", "regex", "number", "intent_payload",
                            // "DucklingEntityExtractor"
  std::optional<std::string> role, group;
  // DucklingEntityExtractor's entities (nlu/duckling.h): the value as Rasa keeps it (a number, a
  // string, an interval's {"to", "from"}; `value` holds its text) and Duckling's whole value
  // object. Entities with additional_info go into parse data in the shape Rasa gives them.
  json::value structured_value;
  json::value additional_info;
};

struct IntentScore {
  std::string name;
  double confidence = 0.0;
};

// One response selector's prediction (Rasa's ResponseSelector): which full retrieval intent
// (faq/ask_name) of one retrieval intent, or of all of them, the message is.
struct SelectorPrediction {
  std::string key;                   // the retrieval intent it was trained for, or "default" (all)
  std::vector<IntentScore> ranking;  // full retrieval intents, best first, at most 10
};

// What the model makes of one message, in the shape Rasa's parse_data has.
struct ParseResult {
  std::string text;
  IntentScore intent;                 // "nlu_fallback" below the threshold
  std::vector<IntentScore> ranking;   // best first, at most 10
  std::vector<Entity> entities;
  // Without retrieval intents in the data both are empty.
  std::vector<std::string> retrieval_intents{};  // every retrieval intent (faq), in order of appearance
  std::vector<SelectorPrediction> selectors{};
};


struct TrainOptions {
  int seed = 17;         // fastText seed; training uses one thread, so results are reproducible
  int epochs = 0;        // 0: chosen from the data size
  int dim = 32;
  double fallback_threshold = 0.3;
  bool fallback_enabled = true;
  bool regex_features = true;  // lookup-table and regex matches as features of the intent classifier
  // The learned entity extractor (a CRF), as config.yml's DIETClassifier / CRFEntityExtractor;
  // `learner` holds its settings (entity_learner_component, crf_max_iterations, crf_l1, crf_l2).
  bool entity_learner = true;
  project::Config learner;
  // DucklingEntityExtractor (off unless config.yml names it).
  project::DucklingConfig duckling;
};

// The options a project's config.yml asks for.
TrainOptions train_options(const project::Config& config);

class Model {
 public:
  virtual ~Model() = default;
  // Classifies and extracts entities. Messages starting with "/" of the form
  // `/intent{"entity": "value"}` are taken as that intent (confidence 1) with those entities.
  virtual ParseResult parse(std::string_view text) const = 0;
  // Intent names the model can predict (the project's intents with examples, plus defaults).
  virtual const std::vector<std::string>& intents() const = 0;
};

// Trains a model on `data`. `domain` gives the known intents and entities (entities that the
// domain does not list are not extracted). Deterministic: same data, same options, same model.
// With a model cache (core/blobs.h), the learners (intent classifier, entity CRF) are loaded from
// it when it holds them and they load, instead of being trained (tables such as synonyms and
// lookups are rebuilt from `data`, which is fast). The cache's entry must have been saved from the
// same data and options (bot/model_cache.h keys on both).
Result<std::shared_ptr<const Model>> train(const project::NluData& data, const project::Domain& domain,
                                           const TrainOptions& options, LearnerCache* cache = nullptr);

// Lower case, punctuation turned into spaces (apostrophes kept inside words), whitespace collapsed.
std::string normalize(std::string_view text);

}  // namespace parley::nlu
