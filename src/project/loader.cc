// Loading a project folder: finds the files, reads each with its reader (readers.h), completes
// the domain and runs the cross-reference checks. Exceptions never leave this file.
#include "project/loader.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>

#include "core/text.h"
#include "project/readers.h"

namespace parley::project {

namespace fs = std::filesystem;

bool LoadResult::ok() const {
  return std::none_of(diagnostics.begin(), diagnostics.end(),
                      [](const Diagnostic& d) { return d.severity == Diagnostic::Severity::kError; });
}

namespace {


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
bool load_domain(const std::vector<ProjectFile>& files, Domain& out, Diags& diags) {
  if (files.empty()) {
    diags.error({"domain.yml", 0}, "no domain: expected domain.yml, domain.yaml or a domain/ folder in the project");
    return false;
  }
  size_t errors_before = diags.error_count();
  for (const auto& f : files) {
    guarded(f.shown, diags, [&] {
      auto doc = yaml::load_file(f.path, f.shown, diags);
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

std::string project_name(const fs::path& dir) {
  fs::path p = dir.lexically_normal();
  std::string name = p.filename().string();
  if (name.empty() || name == ".") name = p.parent_path().filename().string();
  return name;
}

void read_test_file(const yaml::Doc& doc, std::vector<Story>& out, std::vector<MalformedStory>& malformed,
                    Diags& diags) {
  if (yaml::is_null(doc.root)) return;
  if (!yaml::is_map(doc.root)) {
    diags.error(yaml::loc(doc, doc.root), "a test file must be a mapping with 'stories', not " +
                                              yaml::describe(doc.root));
    return;
  }
  for (const auto& e : yaml::entries(doc.root)) {
    if (e.key == "version") continue;
    if (e.key == "stories" && yaml::is_seq(e.value)) {
      // One story at a time: a malformed one is set aside with its errors, the others still run.
      for (const auto& item : e.value) {
        std::vector<Diagnostic> found;
        Diags story_diags(found);
        YAML::Node one(YAML::NodeType::Sequence);
        one.push_back(item);
        size_t before = out.size();
        read_stories(doc, one, false, true, out, story_diags);
        if (story_diags.error_count() == 0) {
          for (auto& d : found) diags.warning(d.loc, std::move(d.message));
          continue;
        }
        out.resize(before);
        MalformedStory m;
        auto name = yaml::get(item, "story");
        m.name = name && yaml::text(*name) ? *yaml::text(*name) : "(unnamed)";
        m.loc = yaml::loc(doc, item);
        for (const auto& d : found) {
          if (d.severity != Diagnostic::Severity::kError) continue;
          m.errors += (m.errors.empty() ? "" : "\n") + d.loc.to_string() + ": " + d.message;
        }
        malformed.push_back(std::move(m));
      }
    } else if (e.key == "stories") {
      read_stories(doc, e.value, false, true, out, diags);
    } else {
      diags.warning(yaml::loc(doc, e.key_node), "section '" + yaml::excerpt(e.key) + "' of a test file is not used by parley test");
    }
  }
}

}  // namespace

void read_data(const yaml::Doc& doc, NluData& nlu, std::vector<Story>& stories, std::vector<Story>& rules,
               Diags& diags, Domain* domain) {
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
    } else if (e.key == "responses" && domain) {
      read_responses(doc, e.value, *domain, diags);
    } else if (e.key == "responses") {
      continue;  // an NLU file read for evaluation: its responses are not needed
    } else {
      diags.warning(yaml::loc(doc, e.key_node), "section '" + yaml::excerpt(e.key) + "' of a data file is not used by Parley "
                                                                      "(expected nlu, stories, rules or responses)");
    }
  }
}

NluData load_nlu_file(const std::string& file, std::vector<Diagnostic>& diagnostics) {
  Diags diags(diagnostics);
  NluData nlu;
  std::vector<Story> stories, rules;
  guarded(file, diags, [&] {
    // The file the user named: a symbolic link is followed (load_file itself follows none).
    std::error_code ec;
    fs::path real = fs::canonical(file, ec);
    if (auto doc = yaml::load_file(ec ? fs::path(file) : real, file, diags))
      read_data(*doc, nlu, stories, rules, diags);
  });
  apply_synonyms(nlu);
  return nlu;
}

std::vector<Diagnostic> check_project_files(const std::string& dir_text, const LoadOptions& options) {
  std::vector<Diagnostic> out;
  Diags diags(out);
  const fs::path dir(dir_text.empty() ? "." : dir_text);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;  // load_project says so
  try {
    find_project_files(dir, project_name(dir), options, diags);
  } catch (const std::exception& e) {
    diags.error({project_name(dir), 0}, std::string("cannot list the project's files: ") + e.what());
  }
  return out;
}

LoadResult load_project(const std::string& dir_text, const LoadOptions& options) {
  LoadResult r;
  Diags diags(r.diagnostics);
  Project& p = r.project;
  const fs::path dir(dir_text.empty() ? "." : dir_text);
  p.dir = dir_text;
  p.name = project_name(dir);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    diags.error({p.name, 0}, "the project folder does not exist or is not a folder");
    return r;
  }
  try {
    std::optional<ProjectFiles> files = find_project_files(dir, p.name, options, diags);
    if (!files) return r;
    bool domain_ok = load_domain(files->domain, p.domain, diags);

    for (const auto& f : files->data) {
      guarded(f.shown, diags, [&] {
        if (auto doc = yaml::load_file(f.path, f.shown, diags)) read_data(*doc, p.nlu, p.stories, p.rules, diags, &p.domain);
      });
    }
    apply_synonyms(p.nlu);

    p.config = default_config();
    if (const auto& f = files->config) {
      guarded(f->shown, diags, [&] {
        if (auto doc = yaml::load_file(f->path, f->shown, diags)) read_config(*doc, p.config, diags);
      });
    }
    if (const auto& f = files->endpoints) {
      guarded(f->shown, diags, [&] {
        if (auto doc = yaml::load_file(f->path, f->shown, diags)) read_endpoints(*doc, p.endpoints, diags);
      });
    }

    normalise_slot_values(p.domain, p.stories);
    normalise_slot_values(p.domain, p.rules);
    if (domain_ok) {
      validate_domain(p.domain, diags);
      validate_nlu(p.domain, p.nlu, diags);
      if (p.config.response_selectors.empty())
        for (const auto& ex : p.nlu.examples)
          if (is_retrieval_intent(ex.intent)) {
            SourceLoc at = files->config ? SourceLoc{files->config->shown, 0} : ex.loc;
            diags.warning(at, "the NLU data has retrieval intents (" + ex.intent +
                                  ") but the pipeline has no ResponseSelector; Parley trains one over all of them, "
                                  "as Rasa's default pipeline does");
            break;
          }
      validate_regexes(p.domain, p.nlu, diags);
      validate_stories(p.domain, p.stories, false, diags);
      validate_stories(p.domain, p.rules, false, diags);
      validate_checkpoints(p.stories, diags);
    }
  } catch (const std::exception& e) {
    diags.error({p.name, 0}, std::string("cannot load the project: ") + e.what());
  } catch (...) {
    diags.error({p.name, 0}, "cannot load the project");
  }
  return r;
}

TestStories load_test_stories(const std::string& dir_text, std::vector<Diagnostic>& diagnostics) {
  TestStories result;
  std::vector<Story>& stories = result.stories;
  Diags diags(diagnostics);
  const fs::path dir(dir_text.empty() ? "." : dir_text);
  try {
    for (const auto& f : find_test_files(dir, diags)) {
      guarded(f.shown, diags, [&] {
        if (auto doc = yaml::load_file(f.path, f.shown, diags)) read_test_file(*doc, stories, result.malformed, diags);
      });
    }
    // The domain and the data's synonyms were checked by load_project; here they only serve to
    // check the test stories and to normalise their entity values as the NLU model will.
    std::vector<Diagnostic> quiet_out;
    Diags quiet(quiet_out);
    std::optional<ProjectFiles> files = find_project_files(dir, project_name(dir), LoadOptions{}, quiet);
    if (!files) return result;
    Domain domain;
    if (load_domain(files->domain, domain, quiet)) {
      // The responses of the data files too (retrieval intents' responses live there).
      for (const auto& f : files->data)
        guarded(f.shown, quiet, [&] {
          if (auto doc = yaml::load_file(f.path, f.shown, quiet))
            if (auto section = yaml::get(doc->root, "responses")) read_responses(*doc, *section, domain, quiet);
        });
      normalise_slot_values(domain, stories);
      // Checked one story at a time, as they are read: one that names what the domain lacks is
      // set aside.
      std::vector<Story> valid;
      for (auto& story : stories) {
        std::vector<Diagnostic> found;
        Diags story_diags(found);
        validate_stories(domain, {story}, true, story_diags);
        for (const auto& d : found)
          if (d.severity == Diagnostic::Severity::kWarning) diags.warning(d.loc, d.message);
        if (story_diags.error_count() == 0) {
          valid.push_back(std::move(story));
          continue;
        }
        MalformedStory m{story.name, story.loc, {}};
        for (const auto& d : found)
          if (d.severity == Diagnostic::Severity::kError)
            m.errors += (m.errors.empty() ? "" : "\n") + d.loc.to_string() + ": " + d.message;
        result.malformed.push_back(std::move(m));
      }
      stories = std::move(valid);
    }
    NluData nlu;
    for (const auto& f : files->data) {
      guarded(f.shown, quiet, [&] {
        if (auto doc = yaml::load_file(f.path, f.shown, quiet))
          if (auto section = yaml::get(doc->root, "nlu")) read_nlu(*doc, *section, nlu, quiet);
      });
    }
    std::map<std::string, std::string> target_of;
    for (const auto& s : nlu.synonyms)
      for (const auto& e : s.examples) target_of.emplace(lower_ascii(e), s.value);
    for (auto& story : stories)
      for (auto& step : story.steps)
        for (auto& e : step.user.entities)
          if (auto it = target_of.find(lower_ascii(e.value)); it != target_of.end() && !e.value.empty()) e.value = it->second;
  } catch (const std::exception& e) {
    diags.error({project_name(dir), 0}, std::string("cannot load the test stories: ") + e.what());
  }
  return result;
}

}  // namespace parley::project
