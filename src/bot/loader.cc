// Loading a project folder: finds the files, reads each with its reader (readers.h), completes
// the domain and runs the cross-reference checks. Exceptions never leave this file.
#include "bot/loader.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>

#include "bot/readers.h"

namespace parley::bot {

namespace fs = std::filesystem;

bool LoadResult::ok() const {
  return std::none_of(diagnostics.begin(), diagnostics.end(),
                      [](const Diagnostic& d) { return d.severity == Diagnostic::Severity::kError; });
}

namespace {
constexpr size_t kMaxFiles = 10000;

bool is_yaml_name(const fs::path& p) {
  std::string ext = p.extension().string();
  return ext == ".yml" || ext == ".yaml";
}
}  // namespace

// The YAML files in `folder` (and its subfolders when `recursive`), sorted by path.
std::vector<fs::path> yaml_files(const fs::path& folder, bool recursive) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return out;
  auto consider = [&](const fs::directory_entry& entry) {
    std::error_code fec;
    if (entry.is_regular_file(fec) && is_yaml_name(entry.path())) out.push_back(entry.path());
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

// The first of `names` that exists in `dir`, or an empty path.
fs::path first_existing(const fs::path& dir, std::initializer_list<const char*> names) {
  std::error_code ec;
  for (const char* n : names)
    if (fs::is_regular_file(dir / n, ec)) return dir / n;
  return {};
}

namespace {

std::string display_path(const fs::path& file, const fs::path& dir) {
  fs::path rel = file.lexically_relative(dir);
  return rel.empty() ? file.generic_string() : rel.generic_string();
}


// Runs one file's reader; an exception (a bug, or memory) becomes an error on that file.
template <typename Fn>
void guarded(const std::string& file, Diags& diags, Fn&& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    diags.error({file, 0}, std::string("cannot read this file: ") + e.what());
  } catch (...) {
    diags.error({file, 0}, "cannot read this file");
  }
}

// Reads domain.yml / domain.yaml and every file of domain/. Returns false when there is no
// domain or it has errors (cross-reference checks against it would only repeat them).
bool load_domain(const fs::path& dir, Domain& out, Diags& diags) {
  std::vector<fs::path> files;
  if (fs::path single = first_existing(dir, {"domain.yml", "domain.yaml"}); !single.empty()) files.push_back(single);
  for (auto& f : yaml_files(dir / "domain", true)) files.push_back(std::move(f));
  if (files.empty()) {
    diags.error({"domain.yml", 0}, "no domain: expected domain.yml, domain.yaml or a domain/ folder in " +
                                       dir.generic_string());
    return false;
  }
  size_t errors_before = diags.error_count();
  for (const auto& f : files) {
    std::string shown = display_path(f, dir);
    guarded(shown, diags, [&] {
      auto doc = yaml::load_file(f, shown, diags);
      if (!doc) return;
      Domain part;
      read_domain(*doc, part, diags);
      merge_domain(out, std::move(part), diags);
    });
  }
  complete_domain(out);
  normalise_slot_values(out);
  return diags.error_count() == errors_before;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string project_name(const fs::path& dir) {
  fs::path p = dir.lexically_normal();
  std::string name = p.filename().string();
  if (name.empty() || name == ".") name = p.parent_path().filename().string();
  return name;
}

void read_test_file(const yaml::Doc& doc, std::vector<Story>& out, Diags& diags) {
  if (yaml::is_null(doc.root)) return;
  if (!yaml::is_map(doc.root)) {
    diags.error(yaml::loc(doc, doc.root), "a test file must be a mapping with 'stories', not " +
                                              yaml::describe(doc.root));
    return;
  }
  for (const auto& e : yaml::entries(doc.root)) {
    if (e.key == "version") continue;
    if (e.key == "stories") {
      read_stories(doc, e.value, false, true, out, diags);
    } else {
      diags.warning(yaml::loc(doc, e.key_node), "section '" + e.key + "' of a test file is not used by parley test");
    }
  }
}

}  // namespace

void read_data(const yaml::Doc& doc, NluData& nlu, std::vector<Story>& stories, std::vector<Story>& rules,
               Diags& diags) {
  if (yaml::is_null(doc.root)) return;
  if (!yaml::is_map(doc.root)) {
    diags.error(yaml::loc(doc, doc.root), "a data file must be a mapping with 'nlu', 'stories' or 'rules', not " +
                                              yaml::describe(doc.root));
    return;
  }
  for (const auto& e : yaml::entries(doc.root)) {
    if (e.key == "version") continue;
    if (e.key == "nlu") {
      read_nlu(doc, e.value, nlu, diags);
    } else if (e.key == "stories") {
      read_stories(doc, e.value, false, false, stories, diags);
    } else if (e.key == "rules") {
      read_stories(doc, e.value, true, false, rules, diags);
    } else {
      diags.warning(yaml::loc(doc, e.key_node), "section '" + e.key + "' of a data file is not used by Parley "
                                                                      "(expected nlu, stories or rules)");
    }
  }
}

NluData load_nlu_file(const std::string& file, std::vector<Diagnostic>& diagnostics) {
  Diags diags(diagnostics);
  NluData nlu;
  std::vector<Story> stories, rules;
  guarded(file, diags, [&] {
    if (auto doc = yaml::load_file(file, file, diags)) read_data(*doc, nlu, stories, rules, diags);
  });
  apply_synonyms(nlu);
  return nlu;
}

LoadResult load_project(const std::string& dir_text) {
  LoadResult r;
  Diags diags(r.diagnostics);
  Project& p = r.project;
  const fs::path dir(dir_text.empty() ? "." : dir_text);
  p.dir = dir_text;
  p.name = project_name(dir);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    diags.error({dir_text, 0}, "the project folder does not exist or is not a folder");
    return r;
  }
  try {
    bool domain_ok = load_domain(dir, p.domain, diags);

    for (const auto& f : yaml_files(dir / "data", true)) {
      std::string shown = display_path(f, dir);
      guarded(shown, diags, [&] {
        if (auto doc = yaml::load_file(f, shown, diags)) read_data(*doc, p.nlu, p.stories, p.rules, diags);
      });
    }
    apply_synonyms(p.nlu);

    p.config = default_config();
    if (fs::path f = first_existing(dir, {"config.yml", "config.yaml"}); !f.empty()) {
      std::string shown = display_path(f, dir);
      guarded(shown, diags, [&] {
        if (auto doc = yaml::load_file(f, shown, diags)) read_config(*doc, p.config, diags);
      });
    }
    if (fs::path f = first_existing(dir, {"endpoints.yml", "endpoints.yaml"}); !f.empty()) {
      std::string shown = display_path(f, dir);
      guarded(shown, diags, [&] {
        if (auto doc = yaml::load_file(f, shown, diags)) read_endpoints(*doc, p.endpoints, diags);
      });
    }

    normalise_slot_values(p.domain, p.stories);
    normalise_slot_values(p.domain, p.rules);
    if (domain_ok) {
      validate_domain(p.domain, diags);
      validate_nlu(p.domain, p.nlu, diags);
      validate_regexes(p.domain, p.nlu, diags);
      validate_stories(p.domain, p.stories, false, diags);
      validate_stories(p.domain, p.rules, false, diags);
      validate_checkpoints(p.stories, diags);
    }
  } catch (const std::exception& e) {
    diags.error({dir_text, 0}, std::string("cannot load the project: ") + e.what());
  } catch (...) {
    diags.error({dir_text, 0}, "cannot load the project");
  }
  return r;
}

std::vector<Story> load_test_stories(const std::string& dir_text, std::vector<Diagnostic>& diagnostics) {
  std::vector<Story> stories;
  Diags diags(diagnostics);
  const fs::path dir(dir_text.empty() ? "." : dir_text);
  try {
    for (const auto& f : yaml_files(dir / "tests", true)) {
      std::string shown = display_path(f, dir);
      guarded(shown, diags, [&] {
        if (auto doc = yaml::load_file(f, shown, diags)) read_test_file(*doc, stories, diags);
      });
    }
    // The domain and the data's synonyms were checked by load_project; here they only serve to
    // check the test stories and to normalise their entity values as the NLU model will.
    std::vector<Diagnostic> quiet_out;
    Diags quiet(quiet_out);
    Domain domain;
    if (load_domain(dir, domain, quiet)) {
      normalise_slot_values(domain, stories);
      validate_stories(domain, stories, true, diags);
    }
    NluData nlu;
    for (const auto& f : yaml_files(dir / "data", true)) {
      guarded(f.string(), quiet, [&] {
        if (auto doc = yaml::load_file(f, f.string(), quiet))
          if (auto section = yaml::get(doc->root, "nlu")) read_nlu(*doc, *section, nlu, quiet);
      });
    }
    std::map<std::string, std::string> target_of;
    for (const auto& s : nlu.synonyms)
      for (const auto& e : s.examples) target_of.emplace(lower(e), s.value);
    for (auto& story : stories)
      for (auto& step : story.steps)
        for (auto& e : step.user.entities)
          if (auto it = target_of.find(lower(e.value)); it != target_of.end() && !e.value.empty()) e.value = it->second;
  } catch (const std::exception& e) {
    diags.error({dir_text, 0}, std::string("cannot load the test stories: ") + e.what());
  }
  return stories;
}

}  // namespace parley::bot
