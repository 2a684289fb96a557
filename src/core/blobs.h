// Named byte strings: the serialised parts of trained models (the intent classifier, the entity
// extractor, the learned policy), as the model cache stores them.
#pragma once

#include <map>
#include <string>

namespace parley {

using Blobs = std::map<std::string, std::string>;

}  // namespace parley
