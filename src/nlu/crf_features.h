// Token attributes for the CRF entity extractor (nlu/crf_extractor.h), in the spirit of Rasa's
// CRFEntityExtractor: the lower-cased word and its case over a -1..+1 window, affixes, word shape,
// BOS/EOS, plus lookup-table / synonym / regex membership and the message's intent. Attributes are
// 64-bit hashes of (kind, offset, text), so featurising a message allocates no strings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/bytes.h"
#include "core/regex.h"
#include "core/status.h"
#include "nlu/tokens.h"
#include "project/project.h"

namespace parley::nlu {

// Which attribute groups are on. The defaults are what measured best on HWU64 (bench/crf.md).
struct CrfFeatureOptions {
  bool affixes = true;          // prefix2, prefix5, suffix2, suffix3, suffix5 of the token
  bool shape = true;            // word shape of the token ("Xx", "d", "x'x")
  bool window2 = false;         // lower-cased words at -2 and +2 as well
  bool neighbour_suffix = false;  // suffix3 of the tokens at -1 and +1
  bool intent = true;           // the message's intent as an attribute of every token
  bool gazetteers = true;       // lookup-table and synonym membership, regex matches
  // With intent: a message of a known intent may only hold the entity types annotated in that
  // intent's examples (the lattice then covers only those, which makes training several times
  // faster). Messages with an unknown or no intent may hold any type.
  bool intent_types = true;
};

// Turns a message's tokens into attribute keys. Immutable once built; thread-safe.
class CrfFeaturizer {
 public:
  CrfFeaturizer() = default;
  // Takes the lookup tables, synonyms and regexes from `data`; a regex that does not compile is
  // left out (the entity extractor reports those that name a domain entity).
  static Result<CrfFeaturizer> build(const project::NluData& data, const project::Domain& domain,
                                     const CrfFeatureOptions& options);

  // Appends the keys of token t to `keys` and pushes keys.size() to `ends` after each token.
  // `intent` may be empty (no intent attribute).
  void featurize(std::string_view text, const std::vector<Token>& tokens, std::string_view intent,
                 std::vector<uint64_t>& keys, std::vector<uint32_t>& ends) const;

  const CrfFeatureOptions& options() const { return options_; }

  void write(ByteWriter& out) const;
  static Result<CrfFeaturizer> read(ByteReader& in);

 private:
  struct RegexAttribute {
    std::string name, pattern;
    Regex re;
  };
  Status add_regex(const std::string& name, const std::string& pattern);
  void add_phrase(std::string_view text, uint64_t tag);
  // Adds membership keys of phrases and regexes to per-token lists.
  void gazetteer_keys(std::string_view text, const std::vector<Token>& tokens,
                      std::vector<std::vector<uint64_t>>& extra) const;

  CrfFeatureOptions options_;
  std::unordered_map<uint64_t, std::vector<uint64_t>> phrases_;  // hash of token words -> tags
  size_t max_phrase_tokens_ = 0;
  std::vector<RegexAttribute> regexes_;
};

}  // namespace parley::nlu
