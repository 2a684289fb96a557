// yaml-cpp behind a no-throw surface: every yaml-cpp exception is caught here and becomes a
// Diagnostic or an empty result.
#include "project/yaml_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include <yaml-cpp/depthguard.h>

#include "core/utf8.h"

namespace parley::project {

namespace {

// Diagnostics travel to logs, terminals and HTTP answers: whatever a file holds, they stay
// printable and short.
constexpr size_t kMaxMessageBytes = 400;
constexpr size_t kMaxFileNameBytes = 200;

Diagnostic printable(Diagnostic::Severity severity, SourceLoc loc, std::string_view message) {
  loc.file = yaml::excerpt(loc.file, kMaxFileNameBytes);
  return {severity, std::move(loc), yaml::excerpt(message, kMaxMessageBytes)};
}

}  // namespace

void Diags::error(SourceLoc loc, std::string message) {
  out_.push_back(printable(Diagnostic::Severity::kError, std::move(loc), message));
  ++errors_;
}

void Diags::warning(SourceLoc loc, std::string message) {
  out_.push_back(printable(Diagnostic::Severity::kWarning, std::move(loc), message));
}

namespace yaml {

namespace {

// C1 control characters (U+0080..U+009F) are as unprintable as C0 ones (CSI, U+009B, starts a
// terminal escape sequence).
bool is_c1_control(std::string_view s, size_t n) {
  return n == 2 && static_cast<unsigned char>(s[0]) == 0xc2 && static_cast<unsigned char>(s[1]) <= 0x9f;
}

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

std::string excerpt(std::string_view text, size_t max_bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t n = utf8_char_length(text.substr(i));
    const auto c = static_cast<unsigned char>(text[i]);
    const bool plain = (n > 1 && !is_c1_control(text.substr(i), n)) || (n == 1 && c >= 0x20 && c != 0x7f);
    const size_t width = plain ? n : 4;
    if (out.size() + width > max_bytes) return out + "...";
    if (plain) {
      out.append(text.substr(i, n));
      i += n;
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
      ++i;
    }
  }
  return out;
}

std::optional<Doc> parse_text(std::string_view text, const std::string& display, Diags& diags) {
  Doc doc;
  doc.file = display;
  doc.lines = split_lines(text);
  try {
    doc.root = YAML::Load(std::string(text));
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp's own words for this are "bad file"; its mark may be past the deep line's end.
    size_t line = e.mark.is_null() ? 0 : std::min<size_t>(e.mark.line + 1, doc.lines.size());
    while (line > 1 && doc.lines[line - 1].find_first_not_of(" \t") == std::string::npos) --line;
    diags.error({display, static_cast<int>(line)},
                "YAML nesting deeper than " + std::to_string(e.depth() - 1) + " levels; Parley reads no file nested "
                "this deeply");
    return std::nullopt;
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

namespace {

// Closes a file descriptor at the end of a scope.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::optional<Doc> load_file(const std::filesystem::path& path, const std::string& display, Diags& diags) {
  // No symbolic link as the last step and no waiting on a FIFO: what was checked is what is read.
  Fd f{::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)};
  if (f.fd < 0) {
    diags.error({display, 0}, std::string("cannot open file: ") + std::strerror(errno));
    return std::nullopt;
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    diags.error({display, 0}, "this is not a regular file");
    return std::nullopt;
  }
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size > kMaxFileBytes) {
    diags.error({display, 0}, "file is too large (" + std::to_string(size) + " bytes; the limit is " +
                                  std::to_string(kMaxFileBytes) + ")");
    return std::nullopt;
  }
  std::string text(size, '\0');
  size_t got = 0;
  while (got < size) {
    ssize_t n = ::read(f.fd, text.data() + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  text.resize(got);  // a file that shrank meanwhile is read as it is now
  return parse_text(text, display, diags);
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
  return "the text '" + excerpt(node.Scalar(), 40) + "'";
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
}  // namespace parley::project
