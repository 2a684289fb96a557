// `parley migrate`: the project copied whole (config, endpoints, credentials, data, tests,
// actions) so that NEWDIR runs as BOTDIR did, with only the domain rewritten.
#include "cli/migrate.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "cli/common.h"
#include "core/status.h"
#include "project/migrate.h"

namespace parley::cli {

namespace fs = std::filesystem;

namespace {

// Larger files are not copied: a project's own files are far smaller; this is data or a model.
constexpr uintmax_t kMaxCopiedFileBytes = 32u << 20;

// Top-level folders a migrated project does not need: version control, and Rasa's trained
// models and caches (Parley trains its own; Rasa 3 cannot load a 2.x model either).
bool skipped_top_level(const std::string& name) { return name == ".git" || name == "models" || name == ".rasa"; }

struct CopyState {
  fs::path out_dir;  // skipped when it is inside the project
  size_t files = 0;
  std::vector<std::string> skipped;  // "models/ (trained Rasa models ...)", printed after the changes
};

Status copy_tree(const fs::path& from, const fs::path& to, const fs::path& rel, CopyState& state) {
  std::error_code ec;
  std::vector<fs::directory_entry> entries;
  for (fs::directory_iterator it(from, ec), end; !ec && it != end; it.increment(ec)) entries.push_back(*it);
  if (ec) return Status::io_error("cannot list " + from.string() + ": " + ec.message());
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.path() < b.path(); });
  for (const auto& entry : entries) {
    const std::string name = entry.path().filename().string();
    const std::string shown = (rel / name).generic_string();
    fs::path target = to / name;
    if (rel.empty() && skipped_top_level(name)) {
      state.skipped.push_back(shown + "/ (" + (name == ".git" ? "version control" : "Rasa's trained models and caches; "
                                                                                    "Parley trains its own") + ")");
      continue;
    }
    if (name == "__pycache__") continue;
    // A link is copied as what it leads to: NEWDIR must not lead back into BOTDIR.
    auto status = fs::status(entry.path(), ec);
    if (ec || !fs::exists(status)) {
      state.skipped.push_back(shown + " (a symbolic link that leads nowhere)");
      continue;
    }
    if (fs::is_directory(status)) {
      if (fs::equivalent(entry.path(), state.out_dir, ec)) continue;  // NEWDIR inside BOTDIR
      if (entry.is_symlink()) {
        state.skipped.push_back(shown + "/ (a symbolic link to a folder)");
        continue;
      }
      if (!fs::create_directory(target, ec) && ec) return Status::io_error("cannot create " + target.string() + ": " + ec.message());
      if (auto s = copy_tree(entry.path(), target, rel / name, state); !s.is_ok()) return s;
    } else if (fs::is_regular_file(status)) {
      uintmax_t bytes = fs::file_size(entry.path(), ec);
      if (!ec && bytes > kMaxCopiedFileBytes) {
        state.skipped.push_back(shown + " (" + std::to_string(bytes >> 20) + " MiB: larger than any project file)");
        continue;
      }
      if (!fs::copy_file(entry.path(), target, ec))
        return Status::io_error("cannot copy " + entry.path().string() + " to " + target.string() + ": " + ec.message());
      ++state.files;
    } else {
      state.skipped.push_back(shown + " (not a regular file)");
    }
  }
  return Status::ok();
}

Status write_file(const fs::path& path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  fs::remove(path, ec);  // the copy of a link must not be written through
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (!f) return Status::io_error("cannot write " + path.string());
  return Status::ok();
}

// Empties `dir` after a failure: removed when this run created it, else only its contents.
void undo_copy(const fs::path& dir, bool created) {
  std::error_code ec;
  if (created) {
    fs::remove_all(dir, ec);
    return;
  }
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code ignored;
    fs::remove_all(it->path(), ignored);
  }
}

}  // namespace

int run_migrate(const std::string& bot_dir, const std::string& out_dir, std::ostream& out, std::ostream& err) {
  std::error_code ec;
  if (!fs::is_directory(bot_dir, ec)) {
    err << "parley migrate: '" << bot_dir << "' is not a project folder\n";
    return 2;
  }
  const fs::path dest(out_dir);
  bool created = !fs::exists(dest, ec);
  if (!created) {
    if (!fs::is_directory(dest, ec)) {
      err << "parley migrate: '" << out_dir << "' exists and is not a folder; give --out a new or empty folder\n";
      return 2;
    }
    if (!fs::is_empty(dest, ec) || ec) {
      err << "parley migrate: '" << out_dir << "' is not empty; give --out a new or empty folder (parley migrate "
          << "never writes over files)\n";
      return 2;
    }
  }

  project::DomainMigration m = project::migrate_project_domain(bot_dir);
  print_diagnostics(m.diagnostics, err);
  if (!m.ok()) {
    err << bot_dir << ": the domain cannot be migrated; fix the errors above and run parley migrate again\n";
    return 1;
  }
  if (!m.needed) {
    out << bot_dir << " is already in Rasa 3.x form (no Rasa 2 forms, slots or domain version): nothing to migrate, "
        << out_dir << " not written\n";
    return 0;
  }

  if (created && !fs::create_directories(dest, ec)) {
    err << "parley migrate: cannot create '" << out_dir << "': " << ec.message() << "\n";
    return 1;
  }
  CopyState state;
  state.out_dir = dest;
  Status s = copy_tree(bot_dir, dest, {}, state);
  for (size_t i = 0; s.is_ok() && i < m.files.size(); ++i) s = write_file(dest / m.files[i].name, m.files[i].text);
  if (!s.is_ok()) {
    undo_copy(dest, created);
    err << "parley migrate: " << s.message() << "; nothing was left in '" << out_dir << "'\n";
    return 1;
  }

  for (const auto& line : m.changes) out << line << "\n";
  for (const auto& line : state.skipped) out << "not copied: " << line << "\n";
  std::string names;
  for (const auto& f : m.files) names += (names.empty() ? "" : ", ") + f.name;
  out << "comments in " << names << " are not kept: parley migrate rewrites the domain and drops them\n";
  out << "migrated " << bot_dir << " to " << out_dir << ": " << m.changes.size() << " change(s), " << state.files
      << " file(s) copied; check it with `parley validate " << out_dir << "`\n";
  return 0;
}

void register_migrate(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("migrate", "Copy a Rasa 2.x project with its domain rewritten in Rasa 3.x form, as "
                                            "rasa data migrate does");
  auto dir = std::make_shared<std::string>();
  auto out_dir = std::make_shared<std::string>();
  cmd->add_option("BOTDIR", *dir, "the Rasa 2.x project folder (read only)")->required();
  cmd->add_option("--out", *out_dir, "the new project folder: must not exist or be empty")->required();
  cmd->callback([dir, out_dir, exit_code] { *exit_code = run_migrate(*dir, *out_dir, std::cout, std::cerr); });
}

}  // namespace parley::cli
