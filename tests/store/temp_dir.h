// Test helper: a fresh temporary folder, removed with everything in it at the end of the test.
#pragma once

#include <filesystem>
#include <random>
#include <string>

namespace parley::testing {

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() /
           ("parley-store-" + std::to_string(rd()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(dir_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string path(const std::string& sub = {}) const { return sub.empty() ? dir_.string() : (dir_ / sub).string(); }

 private:
  std::filesystem::path dir_;
};

}  // namespace parley::testing
