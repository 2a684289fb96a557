// Test helper: writes a small Rasa project into a fresh temporary folder.
#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>

namespace parley::testing {

class TempProject {
 public:
  explicit TempProject(const std::map<std::string, std::string>& files) {
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() /
           ("parley-test-" + std::to_string(rd()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(dir_);
    for (const auto& [path, text] : files) write(path, text);
  }
  ~TempProject() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  TempProject(const TempProject&) = delete;
  TempProject& operator=(const TempProject&) = delete;

  void write(const std::string& path, const std::string& text) const {
    auto p = dir_ / path;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  std::string dir() const { return dir_.string(); }

 private:
  std::filesystem::path dir_;
};

}  // namespace parley::testing
