// Where a project's YAML files are: the lookups the loader uses to find them, public for the
// model cache (bot/model_cache.h), whose key covers exactly the files training reads.
#pragma once

#include <filesystem>
#include <initializer_list>
#include <vector>

namespace parley::project {

// The YAML files (and symbolic links so named) in `folder` and, when `recursive`, its subfolders
// (links to folders are not followed), sorted by path.
std::vector<std::filesystem::path> yaml_files(const std::filesystem::path& folder, bool recursive);
// The first of `names` that exists in `dir` (a symbolic link counts), or an empty path.
std::filesystem::path first_existing(const std::filesystem::path& dir, std::initializer_list<const char*> names);

}  // namespace parley::project
