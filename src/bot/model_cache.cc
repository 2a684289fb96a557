// The model cache's key (a digest of the files training reads) and its entry files:
//   "parley-models <version>\n" <sha256 hex of the body> "\n" body
// where the body is a sequence of parts, each "<name length> <data length>\n<name><data>".
#include "bot/model_cache.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "core/build_id.h"
#include "core/digest.h"
#include "project/project_files.h"

namespace parley::bot {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxEntryBytes = size_t{1} << 31;

std::string header() { return "parley-models " + std::to_string(kModelFormatVersion) + "\n"; }

std::string entry_path(const std::string& cache_dir, const std::string& bot, const std::string& key) {
  return (fs::path(cache_dir) / (bot + "-" + key + ".models")).string();
}

std::optional<std::string> read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return std::nullopt;
  std::streamoff size = in.tellg();
  if (size < 0 || static_cast<uint64_t>(size) > kMaxEntryBytes) return std::nullopt;
  std::string bytes(static_cast<size_t>(size), '\0');
  in.seekg(0);
  if (!in.read(bytes.data(), size)) return std::nullopt;
  return bytes;
}

std::optional<Blobs> parse_body(std::string_view body) {
  Blobs parts;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t nl = body.find('\n', pos);
    if (nl == std::string_view::npos) return std::nullopt;
    std::string line(body.substr(pos, nl - pos));
    unsigned long long name_len = 0, data_len = 0;
    char extra = 0;
    if (std::sscanf(line.c_str(), "%llu %llu%c", &name_len, &data_len, &extra) != 2) return std::nullopt;
    pos = nl + 1;
    if (name_len > body.size() - pos || data_len > body.size() - pos - name_len) return std::nullopt;
    std::string name(body.substr(pos, name_len));
    pos += name_len;
    parts[name] = std::string(body.substr(pos, data_len));
    pos += data_len;
  }
  return parts;
}

// The bot's entries, newest first.
std::vector<fs::path> entries_of(const std::string& cache_dir, const std::string& bot) {
  std::vector<std::pair<fs::file_time_type, fs::path>> found;
  std::error_code ec;
  const std::string prefix = bot + "-";
  for (fs::directory_iterator it(cache_dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    // bot-<64 hex>.models: the name's length pins the bot (another bot's name may share a prefix)
    if (name.size() != prefix.size() + 64 + 7 || name.rfind(prefix, 0) != 0 || !name.ends_with(".models")) continue;
    std::error_code tec;
    auto t = fs::last_write_time(it->path(), tec);
    if (!tec) found.push_back({t, it->path()});
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<fs::path> out;
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

}  // namespace

std::string model_key(const std::string& dir_text) {
  const fs::path dir(dir_text.empty() ? "." : dir_text);
  std::vector<fs::path> files;
  for (const char* single : {"domain.yml", "domain.yaml", "config.yml", "config.yaml"})
    if (fs::path f = project::first_existing(dir, {single}); !f.empty()) files.push_back(f);
  for (const char* folder : {"domain", "data"})
    for (auto& f : project::yaml_files(dir / folder, true)) files.push_back(std::move(f));
  Sha256 h;
  h.update(header());
  // The training code is part of the key: another build of Parley trains anew.
  h.update(build_id() + '\n');
  for (const auto& f : files) {
    std::string rel = f.lexically_relative(dir).generic_string();
    auto bytes = read_all(f);
    std::string size = bytes ? std::to_string(bytes->size()) : "unreadable";
    h.update(rel + '\0' + size + '\0');
    if (bytes) h.update(*bytes);
  }
  return h.hex();
}

std::optional<Blobs> read_model_cache(const std::string& cache_dir, const std::string& bot, const std::string& key) {
  auto bytes = read_all(entry_path(cache_dir, bot, key));
  const std::string head = header();
  if (!bytes || bytes->size() < head.size() + 65 || bytes->compare(0, head.size(), head) != 0) return std::nullopt;
  std::string_view rest(*bytes);
  rest.remove_prefix(head.size());
  std::string_view digest = rest.substr(0, 64);
  if (rest[64] != '\n') return std::nullopt;
  std::string_view body = rest.substr(65);
  if (sha256_hex(body) != digest) return std::nullopt;
  return parse_body(body);
}

Status write_model_cache(const std::string& cache_dir, const std::string& bot, const std::string& key,
                         const Blobs& parts) {
  std::string body;
  for (const auto& [name, data] : parts) {
    body += std::to_string(name.size()) + " " + std::to_string(data.size()) + "\n";
    body += name;
    body += data;
  }
  if (body.size() > kMaxEntryBytes) return Status::invalid("the trained models are too large to cache");
  std::error_code ec;
  fs::create_directories(cache_dir, ec);
  if (ec) return Status::io_error("cannot create the model cache folder: " + ec.message());
  const std::string path = entry_path(cache_dir, bot, key);
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << header() << sha256_hex(body) << "\n" << body;
    out.flush();
    if (!out) {
      fs::remove(tmp, ec);
      return Status::io_error("cannot write the model cache entry: " + std::string(std::strerror(errno)));
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return Status::io_error("cannot write the model cache entry: " + ec.message());
  }
  auto entries = entries_of(cache_dir, bot);
  for (size_t i = kCacheEntriesPerBot; i < entries.size(); ++i)
    if (entries[i] != fs::path(path)) fs::remove(entries[i], ec);
  return Status::ok();
}

}  // namespace parley::bot
