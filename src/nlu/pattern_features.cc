// Matching lookup tables and regexes for the intent classifier's input.
#include "nlu/pattern_features.h"

#include <algorithm>

#include "nlu/entity_extractor.h"
#include "nlu/nlu.h"
#include "nlu/tokens.h"

namespace parley::nlu {

namespace {

// A token the normaliser can never produce from a user's text (it keeps no underscores at the
// start), so a feature cannot be typed in.
std::string feature_token(const char* kind, const std::string& name) {
  std::string out = std::string("__") + kind + "_";
  for (char c : name) out.push_back(is_word_byte(static_cast<unsigned char>(c)) ? ascii_lower(c) : '_');
  return out;
}

}  // namespace

PatternFeatures PatternFeatures::build(const project::NluData& data) {
  PatternFeatures f;
  for (const auto& table : data.lookups) {
    size_t index = f.names_.size();
    f.names_.push_back(feature_token("lookup", table.name));
    f.lookup_by_entity_.push_back({table.name, index});
    for (const auto& element : table.elements) {
      auto [stored, added] = f.lookups_.add(normalize(element), {index});
      if (stored && !added && std::find(stored->begin(), stored->end(), index) == stored->end())
        stored->push_back(index);
    }
  }
  for (const auto& rf : data.regexes) {
    size_t index = f.names_.size();
    f.names_.push_back(feature_token("regex", rf.name));
    for (const auto& pattern : rf.patterns) {
      if (auto re = compile_rasa_regex(pattern); re.ok()) f.regexes_.push_back({index, std::move(re).value()});
    }
  }
  return f;
}

std::vector<bool> PatternFeatures::matches(std::string_view text) const {
  std::vector<bool> on(names_.size(), false);
  if (names_.empty()) return on;
  lookups_.for_each_match(tokenize(text), [&](size_t, size_t, const std::vector<size_t>& tables) {
    for (size_t t : tables) on[t] = true;
  });
  if (text.size() <= kMaxRegexInputBytes)
    for (const auto& [index, re] : regexes_)
      if (!on[index] && re.find(text) == Regex::Outcome::kFound) on[index] = true;
  return on;
}

std::string PatternFeatures::join(const std::vector<bool>& on) const {
  std::string out;
  for (size_t i = 0; i < on.size(); ++i)
    if (on[i]) {
      if (!out.empty()) out.push_back(' ');
      out += names_[i];
    }
  return out;
}

std::string PatternFeatures::tokens(std::string_view text) const {
  if (names_.empty()) return {};
  return join(matches(text));
}

std::string PatternFeatures::tokens(const project::NluExample& example) const {
  if (names_.empty()) return {};
  std::vector<bool> on = matches(example.text);
  for (const auto& ann : example.entities)
    for (const auto& [table, index] : lookup_by_entity_)
      if (table == ann.entity) on[index] = true;
  return join(on);
}

}  // namespace parley::nlu
