// Writing YAML that means what was read: yaml-cpp's own emitter writes every scalar plain when it
// can, which turns a quoted 'yes' or "2.0" from a Rasa file into a boolean or a number.
#include <string>

#include "project/yaml_util.h"

namespace parley::project::yaml {

namespace {

// Whether yaml-cpp writes `s` as a literal block that reads back unchanged: it always writes the
// clip indicator `|`, so the text must end in exactly one newline, and it gives no indentation
// indicator, so the first line must not start with a space.
bool fits_literal_block(const std::string& s) {
  if (s.size() < 2 || s.find('\n') == s.size() - 1 || s.back() != '\n' || s[s.size() - 2] == '\n') return false;
  if (s.front() == ' ' || s.front() == '\t' || s.front() == '\n') return false;
  size_t line_start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return false;
    if (c == '\n') {
      std::string_view line(s.data() + line_start, i - line_start);
      if (!line.empty() && line.find_first_not_of(" \t") == std::string_view::npos) return false;
      line_start = i + 1;
    }
  }
  return true;
}

// A scalar that the source quoted, wrote as a block, or tagged: its text is meant as a string.
bool meant_as_string(const YAML::Node& node) {
  const std::string& tag = node.Tag();
  return !tag.empty() && tag != "?";
}

void emit_node(YAML::Emitter& out, const YAML::Node& node, bool in_flow) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      out << YAML::Null;
      return;
    case YAML::NodeType::Scalar:
      if (!meant_as_string(node)) {
        out << node.Scalar();
      } else if (!in_flow && fits_literal_block(node.Scalar())) {
        out << YAML::Literal << node.Scalar();
      } else {
        out << YAML::DoubleQuoted << node.Scalar();
      }
      return;
    case YAML::NodeType::Sequence: {
      bool flow = in_flow || node.Style() == YAML::EmitterStyle::Flow;
      if (flow) out << YAML::Flow;
      out << YAML::BeginSeq;
      for (const auto& item : node) emit_node(out, item, flow);
      out << YAML::EndSeq;
      return;
    }
    case YAML::NodeType::Map: {
      bool flow = in_flow || node.Style() == YAML::EmitterStyle::Flow;
      if (flow) out << YAML::Flow;
      out << YAML::BeginMap;
      for (const auto& kv : node) {
        out << YAML::Key;
        emit_node(out, kv.first, flow);
        out << YAML::Value;
        emit_node(out, kv.second, flow);
      }
      out << YAML::EndMap;
      return;
    }
  }
}

}  // namespace

std::string write(const YAML::Node& node) {
  YAML::Emitter out;
  out.SetIndent(2);
  emit_node(out, node, false);
  std::string text = out.c_str();
  if (!text.empty() && text.back() != '\n') text += '\n';
  return text;
}

}  // namespace parley::project::yaml
