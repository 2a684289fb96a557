// Test helper: NLU data and domains written inline, with Rasa's `[text](entity)` and
// `[text]{"entity": ..., "value": ..., "role": ..., "group": ...}` annotations.
#pragma once

#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

#include "core/json.h"
#include "project/project.h"

namespace parley::nlu::testing {

// One example with its annotations turned into plain text plus EntityAnnotations.
inline project::NluExample annotated(const std::string& intent, const std::string& marked) {
  project::NluExample ex;
  ex.intent = intent;
  size_t i = 0;
  while (i < marked.size()) {
    size_t open = marked.find('[', i);
    size_t close = open == std::string::npos ? open : marked.find(']', open);
    if (open == std::string::npos || close == std::string::npos || close + 1 >= marked.size() ||
        (marked[close + 1] != '(' && marked[close + 1] != '{')) {
      ex.text += marked.substr(i);
      break;
    }
    ex.text += marked.substr(i, open - i);
    project::EntityAnnotation a;
    a.text = marked.substr(open + 1, close - open - 1);
    a.start = ex.text.size();
    ex.text += a.text;
    a.end = ex.text.size();
    a.value = a.text;
    if (marked[close + 1] == '(') {
      size_t end = marked.find(')', close);
      a.entity = marked.substr(close + 2, end - close - 2);
      i = end + 1;
    } else {
      size_t end = marked.find('}', close);
      auto obj = json::parse(marked.substr(close + 1, end - close)).as_object();
      a.entity = std::string(obj.at("entity").as_string());
      if (auto v = json_str(obj, "value")) a.value = std::string(*v);
      if (auto v = json_str(obj, "role")) a.role = std::string(*v);
      if (auto v = json_str(obj, "group")) a.group = std::string(*v);
      i = end + 1;
    }
    ex.entities.push_back(std::move(a));
  }
  return ex;
}

inline void add_intent(project::NluData& data, const std::string& intent, std::initializer_list<const char*> examples) {
  for (const char* e : examples) data.examples.push_back(annotated(intent, e));
}

inline project::Domain make_domain(std::initializer_list<const char*> intents, std::initializer_list<const char*> entities = {}) {
  project::Domain d;
  for (const char* i : intents) {
    project::Intent intent;
    intent.name = i;
    d.intents.push_back(intent);
  }
  for (const char* e : entities) d.entities.push_back(e);
  return d;
}

// The domain's intents are the intents of the data.
inline project::Domain domain_for(const project::NluData& data, std::initializer_list<const char*> entities = {}) {
  project::Domain d = make_domain({}, entities);
  for (const auto& ex : data.examples)
    if (!d.find_intent(ex.intent)) {
      project::Intent intent;
      intent.name = ex.intent;
      d.intents.push_back(intent);
    }
  return d;
}

// The `- intent:` / `examples: |` blocks of a Rasa nlu.yml, read line by line (enough for
// shared/rasa/initbot/data/nlu.yml; not a YAML parser).
inline project::NluData read_simple_nlu_yml(const std::string& path) {
  project::NluData data;
  std::ifstream in(path);
  std::string line, intent;
  while (std::getline(in, line)) {
    size_t first = line.find_first_not_of(' ');
    if (first == std::string::npos) continue;
    std::string body = line.substr(first);
    if (body.rfind("- intent:", 0) == 0) {
      intent = body.substr(9);
      intent.erase(0, intent.find_first_not_of(' '));
    } else if (body.rfind("- ", 0) == 0 && !intent.empty() && first >= 4) {
      data.examples.push_back(annotated(intent, body.substr(2)));
    }
  }
  return data;
}

}  // namespace parley::nlu::testing
