// The running executable's GNU build id (a hash the linker writes into the binary), as hex; ""
// when the binary has none. Two builds of different code have different ids.
#pragma once

#include <string>

namespace parley {

const std::string& build_id();

}  // namespace parley
