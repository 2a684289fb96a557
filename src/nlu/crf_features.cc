// Token attributes for the CRF (nlu/crf_features.h): hashed (kind, offset, text) keys, and the
// phrase and regex matching behind the gazetteer attributes.
#include "nlu/crf_features.h"

#include <algorithm>

#include "core/hash.h"
#include "nlu/entity_extractor.h"  // kMaxRegexInputBytes
#include "nlu/nlu.h"

namespace parley::nlu {

namespace {

enum Kind : uint8_t {
  kBias = 1, kLow, kTitle, kUpper, kDigit, kPrefix2, kPrefix5, kSuffix2, kSuffix3, kSuffix5, kShape,
  kBos, kEos, kIntent, kGazetteer, kRegexMatch,
};

constexpr uint32_t kFeaturesVersion = 1;

uint64_t seed(Kind kind, int offset) {
  return fnv1a_byte(fnv1a_byte(kFnvOffset, kind), static_cast<unsigned char>(offset + 8));
}

uint64_t key(Kind kind, int offset, std::string_view s) { return fnv1a(s, seed(kind, offset)); }

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Python's str.istitle / isupper / isdigit on ASCII words (the words have no spaces).
bool title_case(std::string_view w) {
  if (w.empty() || !is_upper(w[0])) return false;
  return std::none_of(w.begin() + 1, w.end(), is_upper);
}
bool upper_case(std::string_view w) {
  return std::any_of(w.begin(), w.end(), is_upper) && std::none_of(w.begin(), w.end(), is_lower);
}
bool all_digits(std::string_view w) { return !w.empty() && std::all_of(w.begin(), w.end(), is_digit); }

// "Xx" for "Paris", "d" for "2024", "x'x" for "don't": classes of characters with runs collapsed.
uint64_t shape_key(std::string_view w) {
  uint64_t h = seed(kShape, 0);
  char last = 0;
  for (char c : w) {
    const char s = is_upper(c) ? 'X' : is_lower(c) ? 'x' : is_digit(c) ? 'd' : c;
    if (s != last) h = fnv1a_byte(h, static_cast<unsigned char>(s));
    last = s;
  }
  return h;
}

std::string_view prefix(std::string_view w, size_t n) { return w.substr(0, n); }
std::string_view suffix(std::string_view w, size_t n) { return w.size() <= n ? w : w.substr(w.size() - n); }

}  // namespace

Result<CrfFeaturizer> CrfFeaturizer::build(const project::NluData& data, const project::Domain& domain,
                                           const CrfFeatureOptions& options) {
  CrfFeaturizer f;
  f.options_ = options;
  if (!options.gazetteers) return f;
  for (const auto& table : data.lookups)
    for (const auto& element : table.elements) f.add_phrase(element, key(kGazetteer, 0, "lookup:" + table.name));
  const uint64_t synonym = key(kGazetteer, 0, "synonym");
  for (const auto& syn : data.synonyms)
    for (const auto& example : syn.examples) f.add_phrase(example, synonym);
  for (auto& [hash, tags] : f.phrases_) {
    std::sort(tags.begin(), tags.end());
    tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  }
  // A pattern that does not compile is left out, as the intent features leave it out: one that
  // names a domain entity is reported by the entity extractor, which is built first.
  for (const auto& rf : data.regexes)
    for (const auto& pattern : rf.patterns) (void)f.add_regex(rf.name, pattern);
  return f;
}

Status CrfFeaturizer::add_regex(const std::string& name, const std::string& pattern) {
  auto re = compile_rasa_regex(pattern);
  if (!re.ok()) return Status::invalid("pattern \"" + pattern + "\" does not compile: " + re.status().message());
  regexes_.push_back({name, pattern, std::move(re).value()});
  return Status::ok();
}

void CrfFeaturizer::add_phrase(std::string_view text, uint64_t tag) {
  const std::vector<Token> words = tokenize(text);
  if (words.empty()) return;
  uint64_t h = kFnvOffset;
  for (const Token& w : words) {
    h = fnv1a_byte(fnv1a(w.lower, h), ' ');
  }
  phrases_[h].push_back(tag);
  max_phrase_tokens_ = std::max(max_phrase_tokens_, words.size());
}

void CrfFeaturizer::gazetteer_keys(std::string_view text, const std::vector<Token>& tokens,
                                   std::vector<std::vector<uint64_t>>& extra) const {
  for (size_t s = 0; s < tokens.size() && !phrases_.empty(); ++s) {
    uint64_t h = kFnvOffset;
    for (size_t e = s; e < tokens.size() && e - s < max_phrase_tokens_; ++e) {
      h = fnv1a_byte(fnv1a(tokens[e].lower, h), ' ');
      auto it = phrases_.find(h);
      if (it == phrases_.end()) continue;
      for (size_t t = s; t <= e; ++t) {
        // The token's place in the phrase, BILOU-style, so that a multi-word match reads as one span.
        const unsigned char place = s == e ? 'U' : t == s ? 'B' : t == e ? 'L' : 'I';
        for (uint64_t tag : it->second) extra[t].push_back(fnv1a_byte(tag, place));
      }
    }
  }
  if (text.size() > kMaxRegexInputBytes) return;
  for (const RegexAttribute& r : regexes_) {
    const uint64_t tag = key(kRegexMatch, 0, r.name);
    (void)r.re.for_each_match(text, [&](const Regex::Match& m) {
      for (size_t t = 0; t < tokens.size(); ++t)
        if (tokens[t].start < m.end && tokens[t].end > m.begin) extra[t].push_back(tag);
    });
  }
}

void CrfFeaturizer::featurize(std::string_view text, const std::vector<Token>& tokens, std::string_view intent,
                              std::vector<uint64_t>& keys, std::vector<uint32_t>& ends) const {
  std::vector<std::vector<uint64_t>> extra;
  if (!phrases_.empty() || !regexes_.empty()) {
    extra.resize(tokens.size());
    gazetteer_keys(text, tokens, extra);
  }
  const uint64_t intent_key = options_.intent && !intent.empty() ? key(kIntent, 0, intent) : 0;
  const int n = static_cast<int>(tokens.size());
  auto raw = [&](int t) { return text.substr(tokens[t].start, tokens[t].end - tokens[t].start); };
  for (int t = 0; t < n; ++t) {
    const std::string_view low = tokens[t].lower, w = raw(t);
    keys.push_back(seed(kBias, 0));
    keys.push_back(key(kLow, 0, low));
    if (title_case(w)) keys.push_back(seed(kTitle, 0));
    if (upper_case(w)) keys.push_back(seed(kUpper, 0));
    if (all_digits(w)) keys.push_back(seed(kDigit, 0));
    if (options_.affixes) {
      keys.push_back(key(kPrefix2, 0, prefix(low, 2)));
      keys.push_back(key(kPrefix5, 0, prefix(low, 5)));
      keys.push_back(key(kSuffix2, 0, suffix(low, 2)));
      keys.push_back(key(kSuffix3, 0, suffix(low, 3)));
      keys.push_back(key(kSuffix5, 0, suffix(low, 5)));
    }
    if (options_.shape) keys.push_back(shape_key(w));
    if (t == 0) keys.push_back(seed(kBos, 0));
    if (t == n - 1) keys.push_back(seed(kEos, 0));
    for (int o : {-1, 1}) {
      if (t + o < 0 || t + o >= n) continue;
      const std::string_view nw = raw(t + o);
      keys.push_back(key(kLow, o, tokens[t + o].lower));
      if (title_case(nw)) keys.push_back(seed(kTitle, o));
      if (upper_case(nw)) keys.push_back(seed(kUpper, o));
      if (options_.neighbour_suffix) keys.push_back(key(kSuffix3, o, suffix(tokens[t + o].lower, 3)));
    }
    if (options_.window2)
      for (int o : {-2, 2})
        if (t + o >= 0 && t + o < n) keys.push_back(key(kLow, o, tokens[t + o].lower));
    if (intent_key) keys.push_back(intent_key);
    if (!extra.empty()) keys.insert(keys.end(), extra[t].begin(), extra[t].end());
    ends.push_back(static_cast<uint32_t>(keys.size()));
  }
}

void CrfFeaturizer::write(ByteWriter& out) const {
  out.u32(kFeaturesVersion);
  const CrfFeatureOptions& o = options_;
  for (bool b : {o.affixes, o.shape, o.window2, o.neighbour_suffix, o.intent, o.gazetteers, o.intent_types}) out.u8(b ? 1 : 0);
  std::vector<std::pair<uint64_t, std::vector<uint64_t>>> sorted(phrases_.begin(), phrases_.end());
  std::sort(sorted.begin(), sorted.end());
  out.u32(static_cast<uint32_t>(sorted.size()));
  out.u32(static_cast<uint32_t>(max_phrase_tokens_));
  for (const auto& [hash, tags] : sorted) {
    out.u64(hash);
    out.u32(static_cast<uint32_t>(tags.size()));
    for (uint64_t tag : tags) out.u64(tag);
  }
  out.u32(static_cast<uint32_t>(regexes_.size()));
  for (const RegexAttribute& r : regexes_) {
    out.str(r.name);
    out.str(r.pattern);
  }
}

Result<CrfFeaturizer> CrfFeaturizer::read(ByteReader& in) {
  const Status bad(Code::kCorruption, "crf features: truncated or invalid");
  uint32_t version, phrases, max_tokens, regexes;
  if (!in.u32(version) || version != kFeaturesVersion) return bad;
  CrfFeaturizer f;
  CrfFeatureOptions& o = f.options_;
  for (bool* b : {&o.affixes, &o.shape, &o.window2, &o.neighbour_suffix, &o.intent, &o.gazetteers, &o.intent_types}) {
    uint8_t v;
    if (!in.u8(v) || v > 1) return bad;
    *b = v == 1;
  }
  if (!in.count(phrases, 12) || !in.u32(max_tokens)) return bad;
  f.max_phrase_tokens_ = max_tokens;
  for (uint32_t i = 0; i < phrases; ++i) {
    uint64_t hash;
    uint32_t tags;
    if (!in.u64(hash) || !in.count(tags, 8)) return bad;
    std::vector<uint64_t>& list = f.phrases_[hash];
    list.resize(tags);
    for (uint64_t& tag : list)
      if (!in.u64(tag)) return bad;
  }
  if (!in.count(regexes, 8)) return bad;
  for (uint32_t i = 0; i < regexes; ++i) {
    std::string name, pattern;
    if (!in.str(name) || !in.str(pattern) || !f.add_regex(name, pattern)) return bad;
  }
  return f;
}

}  // namespace parley::nlu
