// Test helper: a small tmpfs the test mounts itself (a disk that fills up), and a file that
// fills it. Mounting needs root or CAP_SYS_ADMIN: where it is not permitted, mounted() is false
// and error() says why, for a GTEST_SKIP.
#pragma once

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace parley::testing {

class Tmpfs {
 public:
  Tmpfs(const std::string& dir, size_t bytes) : dir_(dir) {
    std::filesystem::create_directories(dir_);
    std::string options = "size=" + std::to_string(bytes);
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", 0, options.c_str()) == 0) {
      mounted_ = true;
    } else {
      error_ = std::strerror(errno);
    }
  }
  ~Tmpfs() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  const std::string& path() const { return dir_; }

  uint64_t free_bytes() const {
    struct statvfs st {};
    return ::statvfs(dir_.c_str(), &st) == 0 ? uint64_t(st.f_bavail) * st.f_frsize : 0;
  }

  // Writes `name` until the disk is full, then gives `leave` bytes back.
  void fill(const std::string& name, size_t leave) const {
    std::string path = dir_ + "/" + name;
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return;
    std::vector<char> block(64 << 10, 'f');
    off_t size = 0;
    for (;;) {
      ssize_t n = ::write(fd, block.data(), block.size());
      if (n <= 0) break;
      size += n;
    }
    if (::ftruncate(fd, size > off_t(leave) ? size - off_t(leave) : 0) != 0) size = 0;
    ::close(fd);
  }

 private:
  std::string dir_;
  bool mounted_ = false;
  std::string error_;
};

}  // namespace parley::testing
