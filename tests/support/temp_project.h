// Test helper: a small Rasa project written into a fresh temporary folder (a TempDir and its files).
#pragma once

#include <map>
#include <string>

#include "support/temp_dir.h"

namespace parley::testing {

class TempProject : public TempDir {
 public:
  // `files`: relative path -> text.
  explicit TempProject(const std::map<std::string, std::string>& files) : TempDir("parley-project") { write(files); }

  std::string dir() const { return path(); }
};

}  // namespace parley::testing
