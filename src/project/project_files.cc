// Finding a project's files and checking them before anything is parsed: each must be a regular
// file inside the project folder (a symbolic link may only lead to another place inside it), no
// file may be larger than yaml::kMaxFileBytes and all together no larger than the project cap.
// A reload of a project that breaks these fails early, naming the file and quoting none of it.
#include "project/project_files.h"

#include <algorithm>

#include "project/readers.h"

namespace parley::project {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxFiles = 10000;

bool is_yaml_name(const fs::path& p) {
  std::string ext = p.extension().string();
  return ext == ".yml" || ext == ".yaml";
}

// `file` (canonical) lies inside `root` (canonical).
bool inside(const fs::path& file, const fs::path& root) {
  fs::path rel = file.lexically_relative(root);
  return !rel.empty() && *rel.begin() != "..";
}

std::string shown_path(const fs::path& file, const fs::path& dir) {
  fs::path rel = file.lexically_relative(dir);
  return rel.empty() ? file.filename().generic_string() : rel.generic_string();
}

// The file as the loader will read it, or an error naming it (relative to the project).
std::optional<ProjectFile> check_file(const fs::path& file, const fs::path& dir, const fs::path& root, Diags& diags) {
  const std::string shown = shown_path(file, dir);
  std::error_code ec;
  fs::path real = fs::canonical(file, ec);
  if (ec) {
    diags.error({shown, 0}, "this file cannot be read (a symbolic link that leads nowhere?): " + ec.message());
    return std::nullopt;
  }
  if (!inside(real, root)) {
    diags.error({shown, 0}, "this file is a symbolic link to a place outside the project folder; Parley reads only "
                            "files inside it");
    return std::nullopt;
  }
  if (!fs::is_regular_file(real, ec)) {
    diags.error({shown, 0}, "this is not a regular file");
    return std::nullopt;
  }
  uint64_t bytes = fs::file_size(real, ec);
  if (ec) {
    diags.error({shown, 0}, "this file cannot be read: " + ec.message());
    return std::nullopt;
  }
  if (bytes > yaml::kMaxFileBytes) {
    diags.error({shown, 0}, "this file is too large (" + std::to_string(bytes) + " bytes; a file may have at most " +
                                std::to_string(yaml::kMaxFileBytes) + ")");
    return std::nullopt;
  }
  return ProjectFile{std::move(real), shown, bytes};
}

}  // namespace

std::vector<fs::path> yaml_files(const fs::path& folder, bool recursive) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return out;
  // Symbolic links are listed too, so that the checks above can refuse those leading outside.
  // Links to folders are not followed.
  auto consider = [&](const fs::directory_entry& entry) {
    std::error_code fec;
    if (is_yaml_name(entry.path()) && (entry.is_symlink(fec) || entry.is_regular_file(fec)))
      out.push_back(entry.path());
  };
  if (recursive) {
    fs::recursive_directory_iterator it(folder, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end && out.size() < kMaxFiles; it.increment(ec)) consider(*it);
  } else {
    fs::directory_iterator it(folder, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end && out.size() < kMaxFiles; it.increment(ec)) consider(*it);
  }
  std::sort(out.begin(), out.end(), [](const fs::path& a, const fs::path& b) { return a.generic_string() < b.generic_string(); });
  return out;
}

fs::path first_existing(const fs::path& dir, std::initializer_list<const char*> names) {
  std::error_code ec;
  for (const char* n : names)
    if (fs::is_symlink(dir / n, ec) || fs::exists(dir / n, ec)) return dir / n;
  return {};
}

std::optional<ProjectFiles> find_project_files(const fs::path& dir, const std::string& name,
                                               const LoadOptions& options, Diags& diags) {
  std::error_code ec;
  const fs::path root = fs::canonical(dir, ec);
  if (ec) {
    diags.error({name, 0}, "the project folder cannot be read: " + ec.message());
    return std::nullopt;
  }
  const size_t errors_before = diags.error_count();
  ProjectFiles out;
  auto checked = [&](const fs::path& f) {
    auto c = check_file(f, dir, root, diags);
    if (c) out.bytes += c->bytes;
    return c;
  };
  auto single = [&](std::initializer_list<const char*> names) {
    fs::path f = first_existing(dir, names);
    return f.empty() ? std::nullopt : checked(f);
  };
  if (auto f = single({"domain.yml", "domain.yaml"})) out.domain.push_back(std::move(*f));
  for (const auto& f : yaml_files(dir / "domain", true))
    if (auto c = checked(f)) out.domain.push_back(std::move(*c));
  for (const auto& f : yaml_files(dir / "data", true))
    if (auto c = checked(f)) out.data.push_back(std::move(*c));
  out.config = single({"config.yml", "config.yaml"});
  out.endpoints = single({"endpoints.yml", "endpoints.yaml"});
  if (out.bytes > options.max_project_bytes)
    diags.error({name, 0}, "the project's files hold " + std::to_string(out.bytes) + " bytes together; the limit is " +
                               std::to_string(options.max_project_bytes) +
                               " (setting max_project_bytes), so none of them was read");
  if (diags.error_count() != errors_before) return std::nullopt;
  return out;
}

std::vector<ProjectFile> find_test_files(const fs::path& dir, Diags& diags) {
  std::vector<ProjectFile> out;
  std::error_code ec;
  const fs::path root = fs::canonical(dir, ec);
  if (ec) return out;
  for (const auto& f : yaml_files(dir / "tests", true))
    if (auto checked = check_file(f, dir, root, diags)) out.push_back(std::move(*checked));
  return out;
}

}  // namespace parley::project
