// A table of phrases (normalised word sequences) found in a message's tokens on word boundaries:
// the one matcher behind the entity gazetteer (annotated texts, lookup tables) and the lookup
// features of the intent classifier.
#pragma once

#include <algorithm>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "nlu/tokens.h"

namespace parley::nlu {

template <typename V>
class PhraseIndex {
 public:
  // Adds `key` (a normalised text: words joined by single spaces). Returns the stored value and
  // whether it was new; an existing key keeps its value.
  std::pair<V*, bool> add(std::string key, V value) {
    if (key.empty()) return {nullptr, false};
    auto it = phrases_.find(key);
    if (it != phrases_.end()) return {&it->second, false};
    size_t words = static_cast<size_t>(std::count(key.begin(), key.end(), ' ')) + 1;
    size_t& longest = max_words_by_first_[key.substr(0, key.find(' '))];
    longest = std::max(longest, words);
    return {&phrases_.emplace(std::move(key), std::move(value)).first->second, true};
  }

  bool empty() const { return phrases_.empty(); }

  // Calls on_match(first_token, token_count, value) for every phrase that equals a run of
  // `tokens`, shortest first at each position.
  template <typename F>
  void for_each_match(const std::vector<Token>& tokens, F&& on_match) const {
    if (phrases_.empty()) return;
    std::string key;
    for (size_t i = 0; i < tokens.size(); ++i) {
      auto first = max_words_by_first_.find(tokens[i].lower);
      if (first == max_words_by_first_.end()) continue;
      size_t longest = std::min(first->second, tokens.size() - i);
      key = tokens[i].lower;
      for (size_t len = 1; len <= longest; ++len) {
        if (len > 1) {
          key += ' ';
          key += tokens[i + len - 1].lower;
        }
        auto it = phrases_.find(key);
        if (it != phrases_.end()) on_match(i, len, it->second);
      }
    }
  }

 private:
  std::unordered_map<std::string, V> phrases_;
  std::unordered_map<std::string, size_t> max_words_by_first_;  // first word -> longest phrase
};

}  // namespace parley::nlu
