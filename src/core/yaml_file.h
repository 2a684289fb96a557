// Reading parley.yml for the modules that own a section of it (events:, bot_auth:): the file or
// text parsed with yaml-cpp, its exceptions turned into a Status naming the file and line.
#pragma once

#include <functional>
#include <string>

#include "core/status.h"

namespace YAML {
class Node;
}

namespace parley {

using YamlReader = std::function<Status(const YAML::Node& root, const std::string& origin)>;

// Parses the file at `path` and hands its root to `read`: kNotFound when it cannot be read,
// kInvalidArgument "path:line: ..." for a syntax error or a yaml-cpp conversion `read` let escape.
Status read_yaml_file(const std::string& path, const YamlReader& read);
// The same for YAML text (tests); `origin` names it in errors.
Status read_yaml_text(const std::string& text, const std::string& origin, const YamlReader& read);

}  // namespace parley
