// Building the gazetteer, regexes and synonym table from the NLU data, and matching them.
#include "nlu/entity_extractor.h"

#include <algorithm>
#include <numeric>

#include "nlu/numbers.h"
#include "nlu/tokens.h"

namespace parley::nlu {

namespace {

const char* extractor_name(int source) {
  switch (source) {
    case 0: return "annotated";
    case 1: return "lookup";
    case 2: return "regex";
    default: return "number";
  }
}

}  // namespace

Result<EntityExtractor> EntityExtractor::build(const project::NluData& data, const project::Domain& domain,
                                              bool annotated_texts, bool numbers) {
  EntityExtractor x;
  // Synonyms: the synonyms section first, so it wins over values given in annotations.
  for (const auto& syn : data.synonyms)
    for (const auto& example : syn.examples) {
      std::string key = normalize(example);
      if (!key.empty()) x.synonyms_.emplace(std::move(key), syn.value);
    }
  for (const auto& ex : data.examples)
    for (const auto& ann : ex.entities) {
      if (!domain.has_entity(ann.entity)) continue;
      std::string text = ann.text;
      if (text.empty() && ann.end > ann.start && ann.end <= ex.text.size())
        text = ex.text.substr(ann.start, ann.end - ann.start);
      if (!ann.value.empty() && ann.value != text) {
        std::string key = normalize(text);
        if (!key.empty()) x.synonyms_.emplace(std::move(key), ann.value);
      }
      if (!annotated_texts) continue;
      Phrase p;
      p.entity = ann.entity;
      p.source = kAnnotated;
      p.role = ann.role;
      p.group = ann.group;
      x.add_phrase(text, std::move(p));
    }
  // A target written in another case or spelling maps to its canonical form too.
  for (const auto& syn : data.synonyms) x.synonyms_.emplace(normalize(syn.value), syn.value);

  for (const auto& table : data.lookups) {
    if (!domain.has_entity(table.name)) continue;
    for (const auto& element : table.elements) {
      Phrase p;
      p.entity = table.name;
      p.source = kLookup;
      x.add_phrase(element, std::move(p));
    }
  }
  for (const auto& rf : data.regexes) {
    if (!domain.has_entity(rf.name)) continue;  // a regex feature, not an entity extractor
    for (const auto& pattern : rf.patterns) {
      auto re = compile_rasa_regex(pattern);
      if (!re.ok())
        return Status::invalid(rf.loc.to_string() + ": regex '" + rf.name + "': pattern \"" + pattern +
                               "\" is not a valid regular expression (" + re.status().message() + ")");
      x.patterns_.push_back({rf.name, std::move(re).value()});
    }
  }
  x.numbers_ = numbers && domain.has_entity("number");
  return x;
}

void EntityExtractor::add_phrase(const std::string& text, Phrase phrase) {
  auto [stored, added] = phrases_.add(normalize(text), phrase);
  if (!stored || added) return;
  // The first source to claim a text keeps it. The same text annotated with different roles
  // or groups gets none: a gazetteer cannot tell them apart by context.
  Phrase& old = *stored;
  if (old.source == kAnnotated && phrase.source == kAnnotated && old.entity == phrase.entity) {
    if (old.role != phrase.role) old.role_conflict = true;
    if (old.group != phrase.group) old.group_conflict = true;
  }
}

std::string EntityExtractor::map_synonym(std::string_view value) const {
  if (synonyms_.empty()) return std::string(value);
  auto it = synonyms_.find(normalize(value));
  return it == synonyms_.end() ? std::string(value) : it->second;
}

void EntityExtractor::match_phrases(std::string_view text, std::vector<Candidate>& out) const {
  if (phrases_.empty()) return;
  std::vector<Token> tokens = tokenize(text);
  phrases_.for_each_match(tokens, [&](size_t i, size_t len, const Phrase& p) {
    Candidate c;
    c.source = p.source;
    c.entity.entity = p.entity;
    c.entity.start = tokens[i].start;
    c.entity.end = tokens[i + len - 1].end;
    c.entity.text = std::string(text.substr(c.entity.start, c.entity.end - c.entity.start));
    c.entity.value = map_synonym(c.entity.text);
    c.entity.extractor = extractor_name(p.source);
    if (!p.role_conflict) c.entity.role = p.role;
    if (!p.group_conflict) c.entity.group = p.group;
    out.push_back(std::move(c));
  });
}

void EntityExtractor::match_regexes(std::string_view text, std::vector<Candidate>& out) const {
  if (patterns_.empty() || text.size() > kMaxRegexInputBytes) return;
  auto word_at = [&](size_t i) { return i < text.size() && is_word_byte(static_cast<unsigned char>(text[i])); };
  for (const auto& pattern : patterns_) {
    // A search that hits its limit ends the turn's budget (core/budget.h); the turn reports it.
    (void)pattern.re.for_each_match(text, [&](const Regex::Match& m) {
      const size_t start = m.begin, stop = m.end;
      // Word boundaries: a match may not begin or end inside a word.
      if (start > 0 && word_at(start - 1) && word_at(start)) return;
      if (word_at(stop - 1) && word_at(stop)) return;
      Candidate c;
      c.source = kRegex;
      c.entity.entity = pattern.entity;
      c.entity.start = start;
      c.entity.end = stop;
      c.entity.text = std::string(text.substr(start, stop - start));
      c.entity.value = map_synonym(c.entity.text);
      c.entity.extractor = extractor_name(kRegex);
      out.push_back(std::move(c));
    });
  }
}

std::vector<Entity> EntityExtractor::extract(std::string_view text) const {
  std::vector<Candidate> candidates;
  match_phrases(text, candidates);
  match_regexes(text, candidates);
  if (numbers_)
    for (auto& m : find_numbers(text)) {
      Candidate c;
      c.source = kNumber;
      c.entity.entity = "number";
      c.entity.start = m.start;
      c.entity.end = m.end;
      c.entity.text = std::string(text.substr(m.start, m.end - m.start));
      c.entity.value = std::move(m.value);
      c.entity.extractor = extractor_name(kNumber);
      candidates.push_back(std::move(c));
    }
  if (candidates.empty()) return {};

  std::vector<size_t> order(candidates.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const auto& x = candidates[a];
    const auto& y = candidates[b];
    size_t lx = x.entity.end - x.entity.start, ly = y.entity.end - y.entity.start;
    if (lx != ly) return lx > ly;
    if (x.source != y.source) return x.source < y.source;
    if (x.entity.start != y.entity.start) return x.entity.start < y.entity.start;
    return a < b;
  });
  std::vector<Entity> out;
  for (size_t idx : order) {
    Entity& e = candidates[idx].entity;
    bool overlaps = std::any_of(out.begin(), out.end(),
                                [&](const Entity& o) { return e.start < o.end && o.start < e.end; });
    if (!overlaps) out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(), [](const Entity& a, const Entity& b) { return a.start < b.start; });
  return out;
}

}  // namespace parley::nlu
