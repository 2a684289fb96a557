// Named byte strings: the serialised parts of trained models (the intent classifier, the entity
// extractor, the learned policy), as the model cache stores them, and what one load did with them.
#pragma once

#include <map>
#include <string>
#include <utility>

namespace parley {

using Blobs = std::map<std::string, std::string>;

// Passed through a bot's training steps: each learner takes its part from `cached` when it is
// there and loads (counted in `loaded`), or trains (counted in `trained`); either way its bytes
// end up in `saved`, the entry to write back.
struct LearnerCache {
  const Blobs* cached = nullptr;
  Blobs saved;
  int loaded = 0, trained = 0;

  const std::string* find(const std::string& part) const {
    if (!cached) return nullptr;
    auto it = cached->find(part);
    return it == cached->end() ? nullptr : &it->second;
  }
  void took(const std::string& part, std::string bytes) {
    ++loaded;
    saved[part] = std::move(bytes);
  }
  void made(const std::string& part, std::string bytes) {
    ++trained;
    saved[part] = std::move(bytes);
  }
};

}  // namespace parley
