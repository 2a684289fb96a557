// Lookup tables and regexes as features of the intent classifier, as Rasa's RegexFeaturizer: the
// tables and regexes a text matches become extra tokens of the classifier's input, so that a
// message made only of a table's value is classified by what the training data says about that
// table (the examples that contain its values or annotate its entity).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/regex.h"
#include "nlu/phrase_index.h"
#include "project/project.h"

namespace parley::nlu {

class PatternFeatures {
 public:
  // Every lookup table and regex of the data, whether or not it names a domain entity. A regex
  // that does not compile is left out (the loader reports it: an error when it names an entity).
  static PatternFeatures build(const project::NluData& data);

  bool empty() const { return names_.empty(); }

  // The feature tokens of a message, each once, joined by spaces ("" when none match).
  std::string tokens(std::string_view text) const;
  // Those of a training example, plus the lookup tables named like its annotated entities.
  std::string tokens(const project::NluExample& example) const;

 private:
  std::vector<bool> matches(std::string_view text) const;
  std::string join(const std::vector<bool>& on) const;

  std::vector<std::string> names_;      // feature tokens, lookups first, then regexes
  PhraseIndex<std::vector<size_t>> lookups_;  // element -> indices into names_
  std::vector<std::pair<size_t, Regex>> regexes_;
  std::vector<std::pair<std::string, size_t>> lookup_by_entity_;  // table name -> index
};

}  // namespace parley::nlu
