// Entity extraction without a learned model: a gazetteer of annotated texts and lookup-table
// elements, regexes, numbers, then synonym mapping. Only entities the domain declares are found.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/regex.h"
#include "core/status.h"
#include "nlu/nlu.h"
#include "nlu/phrase_index.h"
#include "project/project.h"

namespace parley::nlu {

// Regexes are not run on messages longer than this (bytes): each start position of a search is
// bounded by the match limit (core/regex.h), the number of start positions by this.
constexpr size_t kMaxRegexInputBytes = 4096;

class EntityExtractor {
 public:
  // Builds the extractor from the NLU data. Fails only on a regex (for a domain entity) that does
  // not compile; the error names the regex and where it was defined. `annotated_texts` adds the
  // annotated texts of the examples to the gazetteer (off when a learned extractor finds them by
  // context instead). `numbers`: numbers as the `number` entity when the domain declares it (off
  // when DucklingEntityExtractor gives them).
  static Result<EntityExtractor> build(const project::NluData& data, const project::Domain& domain,
                                       bool annotated_texts = true, bool numbers = true);

  // The entities in `text`, ordered by start offset. Matching is case-insensitive and on word
  // boundaries; where candidates overlap, the longest wins, then by source (annotated, lookup,
  // regex, number), then the earliest. Offsets are byte offsets into `text`. Thread-safe.
  std::vector<Entity> extract(std::string_view text) const;

  // The value a synonym maps `value` to (compared after normalize()), or `value` itself.
  std::string map_synonym(std::string_view value) const;

 private:
  enum Source { kAnnotated = 0, kLookup = 1, kRegex = 2, kNumber = 3 };
  struct Phrase {
    std::string entity;
    Source source = kAnnotated;
    std::optional<std::string> role, group;
    bool role_conflict = false, group_conflict = false;  // annotated with different roles/groups
  };
  struct Pattern {
    std::string entity;
    Regex re;
  };
  struct Candidate {
    Entity entity;
    Source source;
  };

  void add_phrase(const std::string& text, Phrase phrase);
  void match_phrases(std::string_view text, std::vector<Candidate>& out) const;
  void match_regexes(std::string_view text, std::vector<Candidate>& out) const;

  PhraseIndex<Phrase> phrases_;                                // normalised text -> entity
  std::vector<Pattern> patterns_;
  std::unordered_map<std::string, std::string> synonyms_;     // normalised text -> target
  bool numbers_ = false;
};

}  // namespace parley::nlu
