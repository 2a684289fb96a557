// The learned entity extractor: a BILOU linear-chain CRF (nlu/crf.h) over token attributes
// (nlu/crf_features.h), trained at load time from the annotated NLU examples. Finds entity values
// never seen in training from their context. Plays the part of Rasa's CRFEntityExtractor / DIET's
// entity recognition; the caller combines it with the exact extractors and maps synonyms.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "nlu/crf.h"
#include "nlu/crf_features.h"
#include "nlu/nlu.h"
#include "project/project.h"

namespace parley::nlu {

class CrfEntityExtractor {
 public:
  CrfEntityExtractor() = default;

  // Trains on the annotations of `data` for entities that `domain` declares. An entity type is the
  // entity with its role and group, so roles and groups are learnt jointly. Uses config's
  // crf_max_iterations, crf_l1, crf_l2 and entity_learner_component (reported as each entity's
  // extractor). With features.intent, each example's intent is an attribute of its tokens.
  // Deterministic: same inputs, same to_bytes().
  static Result<CrfEntityExtractor> train(const project::NluData& data, const project::Domain& domain,
                                          const project::Config& config, const CrfFeatureOptions& features = {});

  // The entities in `text`, in order, with byte offsets covering their first to last token and
  // value = text (synonyms are the caller's). `intent` is the message's (predicted) intent, or
  // empty. confidence is the lowest marginal probability of the entity's tags. Thread-safe.
  std::vector<Entity> extract(std::string_view text, std::string_view intent) const;

  // True when training saw no annotation for a declared entity (extract() then finds nothing).
  bool empty() const { return types_.empty(); }
  size_t types() const { return types_.size(); }
  size_t attributes() const { return attr_keys_.size(); }
  const crf::Model& model() const { return model_; }

  // Versioned little-endian encoding; from_bytes rejects truncated or garbage input with an error.
  std::string to_bytes() const;
  static Result<CrfEntityExtractor> from_bytes(std::string_view bytes);

 private:
  struct Type {
    std::string entity;
    std::optional<std::string> role, group;
  };
  // The token sequence of `text` with attribute ids (unknown attributes dropped).
  crf::Sequence sequence(std::string_view text, const std::vector<Token>& tokens, std::string_view intent) const;
  // The types a message of `intent` may hold (for crf::Sequence::types): empty for any.
  std::vector<uint16_t> allowed_types(std::string_view intent) const;
  // Fills restrictions_ from model_ and intent_types_.
  void restrict_by_intent();

  CrfFeaturizer featurizer_;
  std::vector<Type> types_;                        // sorted; type k has labels 1+4k .. 4+4k
  // With features.intent_types: intent -> the types annotated in its examples, or {types_.size()}
  // (an id that allows none) for an intent without annotations.
  std::map<std::string, std::vector<uint16_t>, std::less<>> intent_types_;
  std::vector<uint64_t> attr_keys_;                // attribute id -> key
  std::unordered_map<uint64_t, uint32_t> attr_ids_;  // key -> attribute id
  crf::Model model_;
  // intent -> model_ restricted to intent_types_[intent] (derived, not encoded): faster decoding.
  std::map<std::string, crf::Restriction, std::less<>> restrictions_;
  std::string extractor_;
};

}  // namespace parley::nlu
