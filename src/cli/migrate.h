// `parley migrate BOTDIR --out NEWDIR`: a copy of a Rasa 2.x project with its domain in Rasa 3.x
// form (project/migrate.h), as `rasa data migrate` writes it. Public for the tests.
#pragma once

#include <ostream>
#include <string>

namespace parley::cli {

// Copies the project in `bot_dir` to `out_dir` (which must not exist or be empty), every file
// but version control, Rasa's trained models and caches, then writes the migrated domain files
// over their copies. Prints each change on `out`, one line each, and problems on `err`.
// Returns 0 on success and also when the project is already in Rasa 3.x form (then nothing is
// written); 2 when it refuses (no such BOTDIR, NEWDIR not empty); 1 when the domain cannot be
// migrated or the copy fails (what it had created is removed).
int run_migrate(const std::string& bot_dir, const std::string& out_dir, std::ostream& out, std::ostream& err);

}  // namespace parley::cli
