// train() and the trained Model: payload messages, exact training examples, the fastText
// classifier, the fallback threshold and entity extraction, in that order.
#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "nlu/crf_extractor.h"
#include "nlu/duckling.h"
#include "nlu/entity_extractor.h"
#include "nlu/intent_classifier.h"
#include "nlu/nlu.h"
#include "nlu/pattern_features.h"
#include "nlu/payload.h"

namespace parley::nlu {

namespace {

constexpr size_t kMaxRanking = 10;
constexpr const char* kFallbackIntent = "nlu_fallback";
constexpr const char* kDefaultIntents[] = {"restart", "session_start", "back", "nlu_fallback"};

// A ResponseSelector: a classifier over the full retrieval intents (faq/ask_name) of one
// retrieval intent, or of all ("default"), and the training examples that are their own answer.
struct Selector {
  std::string key;
  std::unique_ptr<IntentClassifier> classifier;
  std::unordered_map<std::string, std::string> exact;  // normalised example -> its full intent

  SelectorPrediction predict(const std::string& norm, const std::string& input) const {
    SelectorPrediction p{key, classifier->predict(input, static_cast<int>(kMaxRanking))};
    if (auto hit = exact.find(norm); hit != exact.end()) {
      std::erase_if(p.ranking, [&](const IntentScore& s) { return s.name == hit->second; });
      p.ranking.insert(p.ranking.begin(), IntentScore{hit->second, 1.0});
      if (p.ranking.size() > kMaxRanking) p.ranking.resize(kMaxRanking);
    }
    return p;
  }
};

// Adds each normalised example to `exact` under its label, dropping texts listed under two.
void add_exact(const std::vector<LabeledText>& examples, std::unordered_map<std::string, std::string>& exact) {
  std::unordered_set<std::string> ambiguous;
  for (const auto& ex : examples) {
    if (ex.text.empty() || ex.intent.empty() || ambiguous.count(ex.text)) continue;
    auto [it, inserted] = exact.emplace(ex.text, ex.intent);
    if (!inserted && it->second != ex.intent) {
      // Listed under two labels: the classifier decides.
      exact.erase(it);
      ambiguous.insert(ex.text);
    }
  }
}

class TrainedModel final : public Model {
 public:
  TrainedModel(std::unique_ptr<IntentClassifier> classifier, EntityExtractor extractor, TrainOptions options)
      : classifier_(std::move(classifier)), extractor_(std::move(extractor)), options_(options) {}

  ParseResult parse(std::string_view text) const override {
    ParseResult r;
    r.text = std::string(text);
    if (parse_payload(text, r)) return r;

    std::string norm = normalize(text);
    std::vector<IntentScore> ranking;
    if (!norm.empty()) {
      std::string features = patterns_.tokens(text);
      ranking = classifier_->predict(features.empty() ? norm : norm + " " + features, static_cast<int>(kMaxRanking));

      std::string input = features.empty() ? norm : norm + " " + features;
      if (auto hit = exact_.find(norm); hit != exact_.end()) {
        // A training example is always its own intent; the others keep their scores.
        std::erase_if(ranking, [&](const IntentScore& s) { return s.name == hit->second; });
        ranking.insert(ranking.begin(), IntentScore{hit->second, 1.0});
        if (ranking.size() > kMaxRanking) ranking.resize(kMaxRanking);
      }
      // As Rasa's ResponseSelector, whatever the intent: the retrieval action reads the one it needs.
      for (const auto& s : selectors_) r.selectors.push_back(s.predict(norm, input));
      if (!selectors_.empty()) r.retrieval_intents = retrieval_intents_;
    }
    const double threshold = options_.fallback_threshold;
    if (ranking.empty()) {
      // Nothing to classify with (no examples, or no words in the message).
      r.intent = {kFallbackIntent, threshold};
      r.ranking = {r.intent};
    } else if (options_.fallback_enabled && ranking.front().confidence < threshold) {
      // As Rasa's FallbackClassifier: nlu_fallback at the threshold, ahead of the real ranking.
      r.intent = {kFallbackIntent, threshold};
      r.ranking.reserve(kMaxRanking);
      r.ranking.push_back(r.intent);
      for (auto& s : ranking) {
        if (r.ranking.size() == kMaxRanking) break;
        r.ranking.push_back(std::move(s));
      }
    } else {
      r.intent = ranking.front();
      r.ranking = std::move(ranking);
    }
    r.entities = entities(text, r);
    return r;
  }

  const std::vector<std::string>& intents() const override { return intents_; }

  std::unique_ptr<IntentClassifier> classifier_;
  EntityExtractor extractor_;
  TrainOptions options_;
  std::unordered_map<std::string, std::string> exact_;  // normalised example -> its only intent
  std::unordered_set<std::string> payload_intents_;     // domain intents and Rasa's defaults
  std::unordered_set<std::string> entities_;            // domain entities
  std::vector<std::string> intents_;
  PatternFeatures patterns_;                            // empty unless regex_features
  std::optional<CrfEntityExtractor> crf_;               // the learned extractor, when on and trained
  std::vector<Selector> selectors_;                     // empty without retrieval intents
  std::vector<std::string> retrieval_intents_;
  std::unique_ptr<DucklingExtractor> duckling_;         // DucklingEntityExtractor, when configured

 private:
  // The learned entities first (given the best real intent: the CRF never saw nlu_fallback), then
  // those of the exact extractors that overlap none of them, in text order.
  std::vector<Entity> entities(std::string_view text, const ParseResult& r) const {
    std::vector<Entity> out = local_entities(text, r);
    if (duckling_) {
      // As Rasa: a later extractor's entities are appended, overlapping or not.
      std::vector<Entity> more = duckling_->extract(text);
      out.insert(out.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
    }
    return out;
  }

  std::vector<Entity> local_entities(std::string_view text, const ParseResult& r) const {
    std::vector<Entity> exact = extractor_.extract(text);
    if (!crf_) return exact;
    std::string_view intent;
    for (const auto& s : r.ranking)
      if (s.name != kFallbackIntent) {
        intent = s.name;
        break;
      }
    std::vector<Entity> out = crf_->extract(text, intent);
    for (auto& e : out) e.value = extractor_.map_synonym(e.text);
    const size_t learned = out.size();
    for (auto& e : exact) {
      bool overlaps = std::any_of(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(learned),
                                  [&](const Entity& o) { return e.start < o.end && o.start < e.end; });
      if (!overlaps) out.push_back(std::move(e));
    }
    std::stable_sort(out.begin(), out.end(), [](const Entity& a, const Entity& b) { return a.start < b.start; });
    return out;
  }

  // `/intent{...}` for a known intent: fills `r` and returns true. Anything else is text.
  bool parse_payload(std::string_view text, ParseResult& r) const {
    size_t first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos || text[first] != '/') return false;
    auto payload = parse_intent_payload(text);
    if (!payload || !payload_intents_.count(payload->intent)) return false;
    r.intent = {payload->intent, payload->confidence};
    r.ranking = {r.intent};
    for (auto& e : payload->entities)
      if (entities_.count(e.entity)) r.entities.push_back(std::move(e));
    return true;
  }
};

}  // namespace

TrainOptions train_options(const project::Config& config) {
  TrainOptions o;
  o.seed = static_cast<int>(config.nlu_seed & 0x7fffffff);
  o.fallback_threshold = config.nlu_fallback_threshold;
  o.fallback_enabled = config.nlu_fallback_enabled;
  o.regex_features = config.regex_features_enabled;
  o.entity_learner = config.entity_learner_enabled;
  o.learner = config;
  o.duckling = config.duckling;
  return o;
}

namespace {

constexpr const char* kIntentPart = "nlu.intent";
constexpr const char* kSelectorPart = "nlu.selector.";  // + the selector's key
constexpr const char* kCrfPart = "nlu.crf";

// The learned entity extractor from the cache when it is there and loads, else trained (and
// saved); nullopt when the data annotates no entity the domain declares.
Result<std::optional<CrfEntityExtractor>> crf_extractor(const project::NluData& data, const project::Domain& domain,
                                                        const TrainOptions& options, LearnerCache* cache) {
  if (const std::string* bytes = cache ? cache->find(kCrfPart) : nullptr)
    if (auto loaded = CrfEntityExtractor::from_bytes(*bytes); loaded.ok()) {
      cache->took(kCrfPart, *bytes);
      std::optional<CrfEntityExtractor> out;
      if (!loaded->empty()) out = std::move(loaded).value();
      return out;
    }
  auto trained = CrfEntityExtractor::train(data, domain, options.learner);
  if (!trained.ok()) return trained.status();
  if (cache) cache->made(kCrfPart, trained->to_bytes());
  std::optional<CrfEntityExtractor> out;
  if (!trained->empty()) out = std::move(trained).value();
  return out;
}

// The classifier from the cache when it is there and loads, else trained (and saved).
Result<std::unique_ptr<IntentClassifier>> intent_classifier(const std::vector<LabeledText>& inputs,
                                                            const ClassifierOptions& copts, LearnerCache* cache,
                                                            const std::string& part = kIntentPart) {
  if (const std::string* bytes = cache ? cache->find(part) : nullptr)
    if (auto loaded = IntentClassifier::from_bytes(*bytes); loaded.ok()) {
      cache->took(part, *bytes);
      return loaded;
    }
  auto classifier = IntentClassifier::train(inputs, copts);
  if (!classifier.ok() || !cache) return classifier;
  auto bytes = (*classifier)->to_bytes();
  if (!bytes.ok()) return bytes.status();
  cache->made(part, std::move(bytes).value());
  return classifier;
}

// The response selectors `options` asks for (one over all retrieval intents when it asks for
// none: a retrieval action needs one), trained on the examples of full retrieval intents.
// `examples` and `inputs` are train()'s, labelled with the full intents.
Result<std::vector<Selector>> train_selectors(const std::vector<LabeledText>& examples,
                                              const std::vector<LabeledText>& inputs, const TrainOptions& options,
                                              const ClassifierOptions& copts, LearnerCache* cache,
                                              std::vector<std::string>& retrieval_intents) {
  std::vector<Selector> out;
  for (const auto& ex : examples) {
    if (!project::is_retrieval_intent(ex.intent)) continue;
    std::string_view base = project::base_intent(ex.intent);
    if (std::find(retrieval_intents.begin(), retrieval_intents.end(), base) == retrieval_intents.end())
      retrieval_intents.emplace_back(base);
  }
  if (retrieval_intents.empty()) return out;
  std::vector<std::string> wanted = options.learner.response_selectors;
  if (wanted.empty()) wanted.push_back("");
  for (const auto& retrieval_intent : wanted) {
    Selector s;
    s.key = retrieval_intent.empty() ? "default" : retrieval_intent;
    if (std::any_of(out.begin(), out.end(), [&](const Selector& o) { return o.key == s.key; })) continue;
    std::vector<LabeledText> mine, mine_inputs;
    for (size_t i = 0; i < examples.size(); ++i) {
      if (!project::is_retrieval_intent(examples[i].intent)) continue;
      if (!retrieval_intent.empty() && project::base_intent(examples[i].intent) != retrieval_intent) continue;
      mine.push_back(examples[i]);
      mine_inputs.push_back(inputs[i]);
    }
    auto classifier = intent_classifier(mine_inputs, copts, cache, kSelectorPart + s.key);
    if (!classifier.ok()) return classifier.status();
    s.classifier = std::move(classifier).value();
    add_exact(mine, s.exact);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

Result<std::shared_ptr<const Model>> train(const project::NluData& data, const project::Domain& domain,
                                           const TrainOptions& options, LearnerCache* cache) {
  try {
    PatternFeatures patterns = options.regex_features ? PatternFeatures::build(data) : PatternFeatures();
    // The intent classifier learns retrieval intents by their base (faq), the response selectors
    // their full names (faq/ask_name).
    std::vector<LabeledText> full;
    full.reserve(data.examples.size());
    for (const auto& ex : data.examples) full.push_back({ex.intent, normalize(ex.text)});
    std::vector<LabeledText> examples = full;
    for (auto& ex : examples) ex.intent = std::string(project::base_intent(ex.intent));
    // The classifier sees the lookup and regex features after the words; the exact-example
    // table below keys on the words alone.
    std::vector<LabeledText> inputs = examples;
    if (!patterns.empty())
      for (size_t i = 0; i < inputs.size(); ++i) {
        std::string features = patterns.tokens(data.examples[i]);
        if (!features.empty() && !inputs[i].text.empty()) inputs[i].text += " " + features;
      }

    ClassifierOptions copts;
    copts.seed = options.seed;
    copts.epochs = options.epochs;
    copts.dim = options.dim > 0 ? options.dim : copts.dim;
    auto classifier = intent_classifier(inputs, copts, cache);
    if (!classifier.ok()) return classifier.status();
    std::vector<LabeledText> full_inputs = inputs;
    for (size_t i = 0; i < full_inputs.size(); ++i) full_inputs[i].intent = full[i].intent;
    std::vector<std::string> retrieval_intents;
    auto selectors = train_selectors(full, full_inputs, options, copts, cache, retrieval_intents);
    if (!selectors.ok()) return selectors.status();
    // Duckling's `number` replaces Parley's own number extractor, as a Rasa project expects.
    std::unique_ptr<DucklingExtractor> duckling;
    if (options.duckling.enabled) duckling = std::make_unique<DucklingExtractor>(duckling_options(options.duckling));
    auto extractor = EntityExtractor::build(data, domain, /*annotated_texts=*/!options.entity_learner,
                                            /*numbers=*/!(duckling && duckling->extracts("number")));
    if (!extractor.ok()) return extractor.status();
    std::optional<CrfEntityExtractor> crf;
    if (options.entity_learner) {
      auto learned = crf_extractor(data, domain, options, cache);
      if (!learned.ok()) return learned.status();
      crf = std::move(learned).value();
    }

    auto model = std::make_shared<TrainedModel>(std::move(classifier).value(), std::move(extractor).value(), options);
    model->patterns_ = std::move(patterns);
    model->crf_ = std::move(crf);
    model->selectors_ = std::move(selectors).value();
    model->retrieval_intents_ = std::move(retrieval_intents);
    add_exact(examples, model->exact_);
    model->duckling_ = std::move(duckling);
    for (const auto& intent : domain.intents) model->payload_intents_.insert(intent.name);
    for (const char* name : kDefaultIntents) model->payload_intents_.insert(name);
    model->entities_.insert(domain.entities.begin(), domain.entities.end());
    model->intents_ = model->classifier_->intents();
    for (const char* name : kDefaultIntents)
      if (std::find(model->intents_.begin(), model->intents_.end(), name) == model->intents_.end())
        model->intents_.push_back(name);
    return std::shared_ptr<const Model>(std::move(model));
  } catch (const std::exception& e) {
    return Status::internal(std::string("NLU training failed: ") + e.what());
  }
}

}  // namespace parley::nlu
