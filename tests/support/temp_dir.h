// Test helper: a fresh folder under the system temp folder, removed with everything in it when the
// object goes. mkdtemp gives it a unique name (parallel tests never share one) in a single call.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace parley::testing {

class TempDir {
 public:
  // The folder is <temp>/<prefix>-XXXXXX; path() is "" when it could not be made.
  explicit TempDir(const std::string& prefix = "parley-test") {
    std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    path_ = ::mkdtemp(tmpl.data()) ? tmpl : std::string();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // A path inside the folder (nothing is created).
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

  // Writes `text` to the file `name` inside the folder (its parent folders made as needed); its path.
  std::string write(const std::string& name, const std::string& text) const {
    std::filesystem::path p = sub(name);
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  // Writes each file: name (a relative path) -> text.
  void write(const std::map<std::string, std::string>& files) const {
    for (const auto& [name, text] : files) write(name, text);
  }

 private:
  std::string path_;
};

}  // namespace parley::testing
