// The file sink: JSON lines appended to `path`, rotated by size to path.1 .. path.<max_files>
// (the oldest dropped). A batch is acknowledged once written (and fdatasync'ed with fsync: true).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "events/sink.h"

namespace parley::events {

namespace {

class FileSink final : public Sink {
 public:
  explicit FileSink(SinkConfig c) : config_(std::move(c)) {}
  ~FileSink() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status open_file() {
    std::error_code ec;
    auto parent = std::filesystem::path(config_.path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    fd_ = ::open(config_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) return Status::io_error("cannot open '" + config_.path + "': " + std::strerror(errno));
    size_ = static_cast<uint64_t>(::lseek(fd_, 0, SEEK_END));
    return Status::ok();
  }

  Status deliver(const Batch& batch, std::chrono::milliseconds) override {
    std::string lines;
    for (const OutEvent* e : batch) {
      lines += e->record;
      lines += '\n';
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (fd_ < 0)
      if (Status s = open_file(); !s) return s;
    if (size_ > 0 && size_ + lines.size() > config_.max_file_bytes)
      if (Status s = rotate(); !s) return s;
    size_t done = 0;
    while (done < lines.size()) {
      ssize_t n = ::write(fd_, lines.data() + done, lines.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::io_error("writing '" + config_.path + "': " + std::strerror(errno));
      }
      done += static_cast<size_t>(n);
    }
    size_ += lines.size();
    if (config_.fsync && ::fdatasync(fd_) != 0)
      return Status::io_error("syncing '" + config_.path + "': " + std::strerror(errno));
    return Status::ok();
  }

 private:
  Status rotate() {
    ::close(fd_);
    fd_ = -1;
    std::error_code ec;
    for (uint32_t i = config_.max_files; i >= 1; --i) {
      std::string from = i == 1 ? config_.path : config_.path + "." + std::to_string(i - 1);
      std::string to = config_.path + "." + std::to_string(i);
      if (std::filesystem::exists(from, ec)) std::filesystem::rename(from, to, ec);
    }
    return open_file();
  }

  SinkConfig config_;
  std::mutex mu_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

}  // namespace

Result<std::unique_ptr<Sink>> make_file_sink(const SinkConfig& config) {
  auto sink = std::make_unique<FileSink>(config);
  if (Status s = sink->open_file(); !s) return s;
  return std::unique_ptr<Sink>(std::move(sink));
}

Result<std::unique_ptr<Sink>> make_sink(const SinkConfig& config) {
  if (config.type == "file") return make_file_sink(config);
  if (config.type == "http") return make_http_sink(config);
  if (config.type == "kafka") return make_kafka_sink(config);
  if (config.type == "nats") return make_nats_sink(config);
  return Status::invalid("unknown sink type '" + config.type + "'");
}

}  // namespace parley::events
