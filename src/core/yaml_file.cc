// yaml-cpp's exceptions at the edge of the config readers.
#include "core/yaml_file.h"

#include <yaml-cpp/yaml.h>

namespace parley {

Status read_yaml_file(const std::string& path, const YamlReader& read) {
  try {
    return read(YAML::LoadFile(path), path);
  } catch (const YAML::BadFile&) {
    return Status::not_found(path + ": cannot read the config file");
  } catch (const YAML::Exception& e) {
    return Status::invalid(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

Status read_yaml_text(const std::string& text, const std::string& origin, const YamlReader& read) {
  try {
    return read(YAML::Load(text), origin);
  } catch (const YAML::Exception& e) {
    return Status::invalid(origin + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

}  // namespace parley
