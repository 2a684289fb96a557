// The `nlu:` section of a data file: intent examples (with inline entity annotations), synonyms,
// regexes and lookup tables. Each example keeps the line it is written on.
#include <algorithm>
#include <cctype>
#include <map>

#include "core/text.h"
#include "project/loader.h"
#include "project/readers.h"

namespace parley::project {

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

namespace {

struct RawExample {
  std::string text;
  SourceLoc loc;
};

// Splits an `examples: |` block into its `- example` lines. yaml-cpp marks only the block, so
// each line is found in the file's text, searching forward from the block.
std::vector<RawExample> split_examples(const yaml::Doc& doc, const YAML::Node& block, const std::string& what,
                                       Diags& diags) {
  std::vector<RawExample> out;
  SourceLoc block_loc = yaml::loc(doc, block);
  size_t cursor = block_loc.line > 0 ? static_cast<size_t>(block_loc.line - 1) : doc.lines.size();
  const std::string& value = block.Scalar();
  size_t start = 0;
  while (start < value.size()) {
    size_t nl = value.find('\n', start);
    if (nl == std::string::npos) nl = value.size();
    std::string line = trim(std::string_view(value).substr(start, nl - start));
    start = nl + 1;
    if (line.empty()) continue;
    SourceLoc at = block_loc;
    // A literal block keeps its lines; the window only bounds the search for folded blocks.
    for (size_t i = cursor; i < doc.lines.size() && i < cursor + 1000; ++i) {
      if (trim(doc.lines[i]) == line) {
        at.line = static_cast<int>(i + 1);
        cursor = i + 1;
        break;
      }
    }
    if (line[0] != '-') {
      diags.warning(at, "the line '" + yaml::excerpt(line) + "' in the examples of " + what +
                            " does not start with '- ' and is skipped");
      continue;
    }
    out.push_back({trim(std::string_view(line).substr(1)), at});
  }
  return out;
}

// The examples of one item, as a block of `- ` lines or as a YAML list (of strings or {text: ..}).
std::vector<RawExample> read_examples(const yaml::Doc& doc, const YAML::Node& node, const std::string& what,
                                      Diags& diags) {
  std::vector<RawExample> out;
  if (auto s = yaml::text(node)) return split_examples(doc, node, what, diags);
  if (yaml::is_seq(node)) {
    for (const auto& item : node) {
      std::optional<std::string> text = yaml::text(item);
      if (!text) {
        if (auto t = yaml::get(item, "text")) text = yaml::text(*t);
      }
      if (!text) {
        diags.error(yaml::loc(doc, item), "an example of " + what + " must be text, not " + yaml::describe(item));
        continue;
      }
      out.push_back({trim(*text), yaml::loc(doc, item)});
    }
    return out;
  }
  diags.error(yaml::loc(doc, node), "the examples of " + what + " must be a block of '- example' lines, not " +
                                        yaml::describe(node));
  return out;
}

void add_synonym(NluData& nlu, const std::string& target, const std::string& example, const SourceLoc& loc) {
  auto it = std::find_if(nlu.synonyms.begin(), nlu.synonyms.end(), [&](const Synonym& s) { return s.value == target; });
  if (it == nlu.synonyms.end()) {
    nlu.synonyms.push_back({target, {}, loc});
    it = nlu.synonyms.end() - 1;
  }
  if (std::find(it->examples.begin(), it->examples.end(), example) == it->examples.end())
    it->examples.push_back(example);
}

void read_intent_examples(const yaml::Doc& doc, const std::string& intent, const std::vector<RawExample>& raw,
                          NluData& nlu, Diags& diags) {
  for (const auto& r : raw) {
    NluExample ex;
    ex.intent = intent;
    ex.loc = r.loc;
    std::string error;
    std::vector<std::string> plain;
    if (!parse_annotated_text(r.text, ex.text, ex.entities, error, &plain)) {
      diags.error(r.loc, "malformed annotation in an example of intent '" + intent + "': " + error);
      continue;
    }
    if (!plain.empty())
      diags.warning(r.loc, "'" + plain.front() + "' in an example of intent '" + intent +
                               "' annotates no entity and is kept as plain text, as Rasa does (an entity is "
                               "written '[text](entity_name)')");
    if (trim(ex.text).empty()) continue;
    for (const auto& a : ex.entities)
      if (a.value != a.text) add_synonym(nlu, a.value, a.text, r.loc);
    nlu.examples.push_back(std::move(ex));
  }
}

}  // namespace

void read_nlu(const yaml::Doc& doc, const YAML::Node& node, NluData& nlu, Diags& diags) {
  if (yaml::is_null(node)) return;
  if (!yaml::is_seq(node)) {
    diags.error(yaml::loc(doc, node), "'nlu' must be a list of intent, synonym, regex and lookup items, not " +
                                          yaml::describe(node));
    return;
  }
  static const char* const kKinds[] = {"intent", "synonym", "regex", "lookup"};
  for (const auto& item : node) {
    SourceLoc at = yaml::loc(doc, item);
    if (!yaml::is_map(item)) {
      diags.error(at, "an item of 'nlu' must be a mapping such as {intent: name, examples: ...}, not " +
                          yaml::describe(item));
      continue;
    }
    std::string kind, name;
    std::optional<YAML::Node> examples;
    bool ok = true;
    for (const auto& e : yaml::entries(item)) {
      bool is_kind = std::find_if(std::begin(kKinds), std::end(kKinds), [&](const char* k) { return e.key == k; }) !=
                     std::end(kKinds);
      if (is_kind) {
        if (!kind.empty()) {
          diags.error(at, "an item of 'nlu' has both '" + kind + "' and '" + yaml::excerpt(e.key) + "'");
          ok = false;
          break;
        }
        kind = e.key;
        auto s = yaml::text(e.value);
        if (!s) {
          diags.error(at, "the " + kind + " name must be text, not " + yaml::describe(e.value));
          ok = false;
          break;
        }
        name = *s;
      } else if (e.key == "examples") {
        examples = e.value;
      } else if (e.key != "metadata") {
        diags.warning(yaml::loc(doc, e.key_node), "unknown key '" + yaml::excerpt(e.key) + "' in an item of 'nlu'");
      }
    }
    if (!ok) continue;
    if (kind.empty()) {
      diags.error(at, "an item of 'nlu' names no intent, synonym, regex or lookup");
      continue;
    }
    const std::string what = kind + " '" + name + "'";
    if (!examples || yaml::is_null(*examples)) {
      diags.warning(at, what + " has no examples");
      continue;
    }
    std::vector<RawExample> raw = read_examples(doc, *examples, what, diags);
    if (kind == "intent") {
      read_intent_examples(doc, name, raw, nlu, diags);
      continue;
    }
    std::vector<std::string> texts;
    std::vector<SourceLoc> locs;
    for (auto& r : raw)
      if (!r.text.empty()) {
        texts.push_back(std::move(r.text));
        locs.push_back(r.loc);
      }
    if (kind == "synonym") {
      for (const auto& t : texts) add_synonym(nlu, name, t, at);
    } else if (kind == "regex") {
      nlu.regexes.push_back({name, std::move(texts), at, std::move(locs)});
    } else {
      auto it = std::find_if(nlu.lookups.begin(), nlu.lookups.end(), [&](const LookupTable& l) { return l.name == name; });
      if (it == nlu.lookups.end()) {
        nlu.lookups.push_back({name, std::move(texts), at});
      } else {
        for (auto& t : texts)
          if (std::find(it->elements.begin(), it->elements.end(), t) == it->elements.end()) it->elements.push_back(t);
      }
    }
  }
}

void apply_synonyms(NluData& nlu) {
  std::map<std::string, std::string> target_of;
  for (const auto& s : nlu.synonyms)
    for (const auto& e : s.examples) target_of.emplace(lower_ascii(e), s.value);
  for (auto& ex : nlu.examples)
    for (auto& a : ex.entities) {
      auto it = target_of.find(lower_ascii(a.value));
      if (it != target_of.end()) a.value = it->second;
    }
}

}  // namespace parley::project
