// Inline entity annotations in NLU examples and test-story messages:
// `[text](entity)`, `[text](entity:value)`, `[text]{"entity": .., "value": .., "role": .., "group": ..}`
// and `[text][{...}, {...}]` (several annotations of the same text).
#include <string>

#include "project/loader.h"

namespace parley::project {

namespace {

std::string quoted(std::string_view s) {
  if (s.size() > 60) return "'" + std::string(s.substr(0, 57)) + "...'";
  return "'" + std::string(s) + "'";
}

// Index of the bracket that closes the one at `open` ('{' or '['), skipping JSON strings; npos
// when there is none.
size_t matching_close(std::string_view s, size_t open) {
  int depth = 0;
  bool in_string = false;
  for (size_t j = open; j < s.size(); ++j) {
    char c = s[j];
    if (in_string) {
      if (c == '\\') {
        ++j;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return j;
    }
  }
  return std::string_view::npos;
}

bool optional_name(const json::object& obj, std::string_view key, std::optional<std::string>& out,
                   std::string& error) {
  const json::value* v = json_get(obj, key);
  if (!v || v->is_null()) return true;
  if (!v->is_string()) {
    error = "\"" + std::string(key) + "\" must be a string";
    return false;
  }
  out = std::string(v->get_string());
  return true;
}

// One JSON annotation object for `annotated` text.
bool from_json(const json::value& v, std::string_view annotated, EntityAnnotation& a, std::string& error) {
  if (!v.is_object()) {
    error = "must be a JSON object";
    return false;
  }
  const json::object& obj = v.get_object();
  auto entity = json_str(obj, "entity");
  if (!entity || entity->empty()) {
    error = json_get(obj, "entity") ? "has an \"entity\" that is not a non-empty string" : "has no \"entity\"";
    return false;
  }
  a.entity = std::string(*entity);
  a.text = std::string(annotated);
  a.value = a.text;
  if (const json::value* value = json_get(obj, "value"); value && !value->is_null())
    a.value = value->is_string() ? std::string(value->get_string()) : json::serialize(*value);
  return optional_name(obj, "role", a.role, error) && optional_name(obj, "group", a.group, error);
}

// One `[text]` and what follows it, with the pieces the error messages quote.
struct Bracket {
  std::string_view line;   // the whole line
  std::string_view inner;  // the annotated text
  size_t after;            // the index just past the ']'
  std::string col;         // the column of the '[' (1-based)
  std::string shown;       // "'[text]'"
};

// `[text](entity)` or `[text](entity:value)`, line[b.after] being '('. Sets `next` to the index
// past the ')'.
bool read_paren_form(const Bracket& b, std::vector<EntityAnnotation>& found, size_t& next, std::string& error) {
  const std::string_view line = b.line;
  size_t end = line.find(')', b.after + 1);
  if (end == std::string_view::npos) {
    error = "unclosed '(' after " + b.shown + " at column " + b.col + " in " + quoted(line);
    return false;
  }
  std::string_view body = line.substr(b.after + 1, end - b.after - 1);
  size_t colon = body.find(':');
  EntityAnnotation a;
  a.entity = std::string(body.substr(0, colon));
  a.text = std::string(b.inner);
  a.value = a.text;
  if (a.entity.empty()) {
    error = "no entity name in " + b.shown + "(" + std::string(body) + ") at column " + b.col + " in " + quoted(line);
    return false;
  }
  if (colon != std::string_view::npos) {
    a.value = std::string(body.substr(colon + 1));
    if (a.value.empty()) {
      error = "empty value after ':' in " + b.shown + "(" + std::string(body) + ") at column " + b.col + " in " +
              quoted(line);
      return false;
    }
  }
  found.push_back(std::move(a));
  next = end + 1;
  return true;
}

// `[text]{json}` or `[text][{json}, ...]`, line[b.after] being '{' or '['. Sets `next` to the index
// past the closing bracket.
bool read_json_form(const Bracket& b, std::vector<EntityAnnotation>& found, size_t& next, std::string& error) {
  const std::string_view line = b.line;
  const char kind = line[b.after];
  size_t end = matching_close(line, b.after);
  if (end == std::string_view::npos) {
    error = std::string("unclosed '") + kind + "' after " + b.shown + " at column " + b.col + " in " + quoted(line);
    return false;
  }
  std::string_view body = line.substr(b.after, end - b.after + 1);
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) {
    error = "bad JSON in the annotation of " + b.shown + " at column " + b.col + ": " + ec.message() + " in " +
            quoted(body);
    return false;
  }
  if (kind == '[') {
    if (!v.is_array() || v.get_array().empty()) {
      error = "the annotation list of " + b.shown + " at column " + b.col + " must be a non-empty JSON list of objects";
      return false;
    }
    for (const auto& item : v.get_array()) {
      EntityAnnotation a;
      std::string why;
      if (!from_json(item, b.inner, a, why)) {
        error = "an annotation of " + b.shown + " at column " + b.col + " " + why + " in " + quoted(line);
        return false;
      }
      found.push_back(std::move(a));
    }
  } else {
    EntityAnnotation a;
    std::string why;
    if (!from_json(v, b.inner, a, why)) {
      error = "the annotation of " + b.shown + " at column " + b.col + " " + why + " in " + quoted(line);
      return false;
    }
    found.push_back(std::move(a));
  }
  next = end + 1;
  return true;
}

}  // namespace

bool parse_annotated_text(std::string_view line, std::string& text, std::vector<EntityAnnotation>& entities,
                          std::string& error, std::vector<std::string>* plain) {
  text.clear();
  entities.clear();
  error.clear();
  size_t i = 0;
  // As Rasa does, a '[' that starts no annotation (no ']' after it, `[]`, a '[' inside, or
  // `[text]` with no `(entity)`, `{..}` or `[..]` after it, or a '(' that is never closed) is kept
  // as plain text.
  auto keep_bracket = [&](std::string_view shown) {
    if (plain) plain->emplace_back(shown);
    text += line[i++];
  };
  while (i < line.size()) {
    if (line[i] != '[') {
      text += line[i++];
      continue;
    }
    const std::string col = std::to_string(i + 1);
    size_t close = line.find(']', i + 1);
    if (close == std::string_view::npos) {
      keep_bracket(line.substr(i));
      continue;
    }
    std::string_view inner = line.substr(i + 1, close - i - 1);
    if (inner.empty() || inner.find('[') != std::string_view::npos) {
      keep_bracket(line.substr(i, close + 1 - i));
      continue;
    }
    const Bracket b{line, inner, close + 1, col, "'[" + std::string(inner) + "]'"};
    char kind = b.after < line.size() ? line[b.after] : '\0';
    std::vector<EntityAnnotation> found;
    size_t next = 0;
    if (kind == '(' && line.find(')', b.after + 1) == std::string_view::npos) {
      keep_bracket(line.substr(i, close + 1 - i));  // no ')' after it: Rasa's pattern does not match either
      continue;
    } else if (kind == '(') {
      if (!read_paren_form(b, found, next, error)) return false;
    } else if (kind == '{' || kind == '[') {
      if (!read_json_form(b, found, next, error)) return false;
    } else {
      keep_bracket(line.substr(i, close + 1 - i));
      continue;
    }
    size_t start = text.size();
    text += inner;
    for (auto& a : found) {
      a.start = start;
      a.end = text.size();
      entities.push_back(std::move(a));
    }
    i = next;
  }
  return true;
}

}  // namespace parley::project
