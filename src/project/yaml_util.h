// Safe reading of YAML inside project/: parsing a file into a Doc, and accessors that never throw and
// turn yaml-cpp's 0-based marks into 1-based SourceLocs. Internal to the bot module.
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "project/project.h"

namespace parley::project {

// Collects diagnostics in the order found, each made printable and short (yaml::excerpt).
class Diags {
 public:
  explicit Diags(std::vector<Diagnostic>& out) : out_(out) {}
  void error(SourceLoc loc, std::string message);
  void warning(SourceLoc loc, std::string message);
  size_t error_count() const { return errors_; }

 private:
  std::vector<Diagnostic>& out_;
  size_t errors_ = 0;
};

namespace yaml {

// A parsed YAML file: its root node and its raw lines (used to find the line of each example in
// a block scalar, which yaml-cpp does not mark).
struct Doc {
  std::string file;                // as shown in diagnostics
  YAML::Node root;                 // Null for an empty file
  std::vector<std::string> lines;  // the file's text split at '\n'
};

// Files larger than this are refused rather than parsed.
constexpr size_t kMaxFileBytes = 32u << 20;

// Reads and parses `path`; `display` names it in diagnostics. On an unreadable file or a YAML
// syntax error, appends an error (with the line) and returns nullopt. Follows no symbolic link
// at the last step and refuses anything but a regular file: pass the checked, resolved path.
std::optional<Doc> load_file(const std::filesystem::path& path, const std::string& display, Diags& diags);

// Parses `text` as if it were the file `display`.
std::optional<Doc> parse_text(std::string_view text, const std::string& display, Diags& diags);

// Where `node` is in `doc` (line 0 when yaml-cpp gives no mark).
SourceLoc loc(const Doc& doc, const YAML::Node& node);

// Kinds of node, tolerant of undefined nodes.
bool is_null(const YAML::Node& node);  // undefined, Null, or a plain `~`/`null` scalar
bool is_map(const YAML::Node& node);
bool is_seq(const YAML::Node& node);
bool is_scalar(const YAML::Node& node);  // a non-null scalar

// `text` as a diagnostic may quote it: at most `max_bytes` (cut at a character, "..." added),
// control characters and bytes that are not UTF-8 written as \xNN.
std::string excerpt(std::string_view text, size_t max_bytes = 60);

// Says what a node is, for messages: "a list", "a mapping", "the text 'abc'", "nothing".
std::string describe(const YAML::Node& node);

// The text of a scalar (nullopt for lists, mappings and null).
std::optional<std::string> text(const YAML::Node& node);

// YAML 1.2 booleans (true/false in any of the usual cases); nullopt otherwise.
std::optional<bool> boolean(const YAML::Node& node);

// A plain number (integer or decimal); nullopt otherwise.
std::optional<double> number(const YAML::Node& node);

// The key/value pairs of a mapping, in file order, keys as text (non-scalar keys are skipped and
// reported by the caller through `bad_keys` when given).
struct Entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};
std::vector<Entry> entries(const YAML::Node& map);

// The value at `key` in a mapping; nullopt when the node is not a mapping or has no such key.
std::optional<YAML::Node> get(const YAML::Node& map, std::string_view key);

// Converts any node to JSON with YAML 1.2 core-schema scalars (quoted scalars are strings).
// Returns nullopt when the value is nested deeper than 64 levels or has more than 100000 nodes
// (aliases can make a small file describe a huge or cyclic value).
std::optional<json::value> to_json(const YAML::Node& node);

// `node` as YAML text that reads back as the same values: a scalar quoted in the source (or given
// the tag "!") is written double-quoted, or as a literal block when it has several lines, so that
// `'yes'` or `"2.0"` stay strings; plain scalars stay plain; flow collections stay flow. Comments
// and anchors are not kept (yaml-cpp does not read them). Written by yaml_write.cc.
std::string write(const YAML::Node& node);

// A string or a list of strings (scalars). On any other shape appends an error
// "<what> must be a string or a list of strings" and returns false.
bool string_or_list(const Doc& doc, const YAML::Node& node, const std::string& what,
                    std::vector<std::string>& out, Diags& diags);

// A list of strings. An error for anything else (null gives an empty list).
bool string_list(const Doc& doc, const YAML::Node& node, const std::string& what,
                 std::vector<std::string>& out, Diags& diags);

}  // namespace yaml
}  // namespace parley::project
