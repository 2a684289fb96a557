// yaml-cpp behind a no-throw surface: every yaml-cpp exception is caught here and becomes a
// Diagnostic or an empty result.
#include "bot/yaml_util.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace parley::bot {

void Diags::error(SourceLoc loc, std::string message) {
  out_.push_back({Diagnostic::Severity::kError, std::move(loc), std::move(message)});
  ++errors_;
}

void Diags::warning(SourceLoc loc, std::string message) {
  out_.push_back({Diagnostic::Severity::kWarning, std::move(loc), std::move(message)});
}

namespace yaml {

namespace {

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string line(text.substr(start, nl - start));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    start = nl + 1;
  }
  return lines;
}

bool plain(const YAML::Node& node) { return node.Tag() == "?" || node.Tag().empty(); }

bool is_null_word(const std::string& s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

// Integer in YAML 1.2 core schema: [-+]?[0-9]+
bool is_integer(const std::string& s) {
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (i >= s.size()) return false;
  for (; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

// Decimal in YAML 1.2 core schema: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool is_decimal(const std::string& s) {
  size_t i = 0, n = s.size();
  if (i < n && (s[i] == '-' || s[i] == '+')) ++i;
  size_t digits = 0;
  while (i < n && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  if (i < n && s[i] == '.') {
    ++i;
    while (i < n && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '-' || s[i] == '+')) ++i;
    size_t exp = 0;
    while (i < n && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++exp;
    if (exp == 0) return false;
  }
  return i == n;
}

struct JsonBudget {
  int nodes = 100000;
  bool exceeded = false;
};

json::value convert(const YAML::Node& node, int depth, JsonBudget& budget) {
  if (budget.exceeded) return nullptr;
  if (depth > 64 || --budget.nodes < 0) {
    budget.exceeded = true;
    return nullptr;
  }
  switch (node.Type()) {
    case YAML::NodeType::Sequence: {
      json::array arr;
      for (const auto& item : node) arr.push_back(convert(item, depth + 1, budget));
      return arr;
    }
    case YAML::NodeType::Map: {
      json::object obj;
      for (const auto& kv : node) {
        std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string("?");
        obj[key] = convert(kv.second, depth + 1, budget);
      }
      return obj;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (!plain(node)) return json::string(s);
      if (is_null_word(s)) return nullptr;
      if (auto b = boolean(node)) return *b;
      if (is_integer(s)) {
        errno = 0;
        long long v = std::strtoll(s.c_str(), nullptr, 10);
        if (errno != ERANGE) return static_cast<int64_t>(v);
      }
      if (is_decimal(s)) {
        double d = std::strtod(s.c_str(), nullptr);
        if (std::isfinite(d)) return d;
      }
      return json::string(s);
    }
    default:
      return nullptr;
  }
}

}  // namespace

std::optional<Doc> parse_text(std::string_view text, const std::string& display, Diags& diags) {
  Doc doc;
  doc.file = display;
  doc.lines = split_lines(text);
  try {
    doc.root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    int line = e.mark.is_null() ? 0 : e.mark.line + 1;
    std::string message = "YAML syntax error: " + (e.msg.empty() ? std::string(e.what()) : e.msg);
    if (line > 0 && static_cast<size_t>(line) <= doc.lines.size()) {
      const std::string& l = doc.lines[line - 1];
      size_t indent_end = l.find_first_not_of(" \t");
      if (l.substr(0, indent_end).find('\t') != std::string::npos)
        message += " (this line is indented with a tab; YAML indents with spaces only)";
    }
    diags.error({display, line}, message);
    return std::nullopt;
  } catch (const std::exception& e) {
    diags.error({display, 0}, std::string("cannot parse YAML: ") + e.what());
    return std::nullopt;
  }
  return doc;
}

std::optional<Doc> load_file(const std::filesystem::path& path, const std::string& display, Diags& diags) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    diags.error({display, 0}, "cannot read file: " + ec.message());
    return std::nullopt;
  }
  if (size > kMaxFileBytes) {
    diags.error({display, 0}, "file is too large (" + std::to_string(size) + " bytes; the limit is " +
                                  std::to_string(kMaxFileBytes) + ")");
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags.error({display, 0}, "cannot open file");
    return std::nullopt;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) {
    diags.error({display, 0}, "cannot read file");
    return std::nullopt;
  }
  return parse_text(buf.str(), display, diags);
}

SourceLoc loc(const Doc& doc, const YAML::Node& node) {
  if (!node.IsDefined()) return {doc.file, 0};
  const YAML::Mark m = node.Mark();
  return {doc.file, m.is_null() || m.line < 0 ? 0 : m.line + 1};
}

bool is_null(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return true;
  return node.IsScalar() && plain(node) && is_null_word(node.Scalar());
}

bool is_map(const YAML::Node& node) { return node.IsDefined() && node.IsMap(); }
bool is_seq(const YAML::Node& node) { return node.IsDefined() && node.IsSequence(); }
bool is_scalar(const YAML::Node& node) { return node.IsDefined() && node.IsScalar() && !is_null(node); }

std::string describe(const YAML::Node& node) {
  if (is_null(node)) return "nothing";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  std::string s = node.Scalar();
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return "the text '" + s + "'";
}

std::optional<std::string> text(const YAML::Node& node) {
  if (!is_scalar(node)) return std::nullopt;
  return node.Scalar();
}

std::optional<bool> boolean(const YAML::Node& node) {
  if (!is_scalar(node) || !plain(node)) return std::nullopt;
  const std::string& s = node.Scalar();
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  return std::nullopt;
}

std::optional<double> number(const YAML::Node& node) {
  if (!is_scalar(node) || !plain(node)) return std::nullopt;
  const std::string& s = node.Scalar();
  if (!is_decimal(s)) return std::nullopt;
  double d = std::strtod(s.c_str(), nullptr);
  if (!std::isfinite(d)) return std::nullopt;
  return d;
}

std::vector<Entry> entries(const YAML::Node& map) {
  std::vector<Entry> out;
  if (!is_map(map)) return out;
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) continue;
    out.push_back({kv.first.Scalar(), kv.first, kv.second});
  }
  return out;
}

std::optional<YAML::Node> get(const YAML::Node& map, std::string_view key) {
  if (!is_map(map)) return std::nullopt;
  for (const auto& kv : map)
    if (kv.first.IsScalar() && kv.first.Scalar() == key) return kv.second;
  return std::nullopt;
}

std::optional<json::value> to_json(const YAML::Node& node) {
  JsonBudget budget;
  json::value v;
  try {
    v = convert(node, 0, budget);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (budget.exceeded) return std::nullopt;
  return v;
}

bool string_or_list(const Doc& doc, const YAML::Node& node, const std::string& what,
                    std::vector<std::string>& out, Diags& diags) {
  if (auto s = text(node)) {
    out.push_back(*s);
    return true;
  }
  if (is_seq(node)) return string_list(doc, node, what, out, diags);
  diags.error(loc(doc, node), what + " must be a string or a list of strings, not " + describe(node));
  return false;
}

bool string_list(const Doc& doc, const YAML::Node& node, const std::string& what,
                 std::vector<std::string>& out, Diags& diags) {
  if (is_null(node)) return true;
  if (!is_seq(node)) {
    diags.error(loc(doc, node), what + " must be a list, not " + describe(node));
    return false;
  }
  bool ok = true;
  for (const auto& item : node) {
    if (auto s = text(item)) {
      out.push_back(*s);
    } else {
      diags.error(loc(doc, item), what + " must list strings, not " + describe(item));
      ok = false;
    }
  }
  return ok;
}

}  // namespace yaml
}  // namespace parley::bot
