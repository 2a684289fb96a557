// config.yml (language, pipeline, policies) and endpoints.yml (action_endpoint). Parley reads the
// settings it has an equivalent for and says plainly which components it does not use.
#include <algorithm>
#include <cstdlib>

#include "core/http_url.h"

#include "project/readers.h"

namespace parley::project {

namespace {

const char* const kNluInstead =
    "Parley classifies intents with fastText (with lookup-table and regex features) and extracts entities with "
    "a CRF, lookup tables, regexes, numbers, synonyms and DucklingEntityExtractor";
const char* const kPolicyInstead =
    "Parley predicts actions with its rule and memoization policies, forms and a learned policy (TEDPolicy)";

// Reads a number setting of a component; reports a wrong type.
void number_setting(const yaml::Doc& doc, const yaml::Entry& e, const std::string& component, double lo, double hi,
                    double& out, Diags& diags) {
  auto n = yaml::number(e.value);
  if (!n || *n < lo || *n > hi) {
    diags.error(yaml::loc(doc, e.key_node), e.key + " of " + component + " must be a number from " +
                                                json::serialize(json::value(lo)) + " to " +
                                                json::serialize(json::value(hi)) + ", not " + yaml::describe(e.value));
    return;
  }
  out = *n;
}

void bool_setting(const yaml::Doc& doc, const yaml::Entry& e, const std::string& component, bool& out,
                  Diags& diags) {
  auto b = yaml::boolean(e.value);
  if (!b) {
    diags.error(yaml::loc(doc, e.key_node), e.key + " of " + component + " must be true or false, not " +
                                                yaml::describe(e.value));
    return;
  }
  out = *b;
}

// A `- name: X` item of pipeline or policies; empty when malformed (reported).
std::string component_name(const yaml::Doc& doc, const YAML::Node& item, const char* section, Diags& diags) {
  auto name = yaml::get(item, "name");
  auto s = name ? yaml::text(*name) : std::nullopt;
  if (!s) {
    diags.error(yaml::loc(doc, item), std::string("an item of '") + section + "' must be a mapping with a 'name', not " +
                                          yaml::describe(item));
    return {};
  }
  return *s;
}

// A whole-number setting from lo to hi.
void int_setting(const yaml::Doc& doc, const yaml::Entry& e, const std::string& component, int lo, int hi, int& out,
                 Diags& diags) {
  auto n = yaml::number(e.value);
  if (!n || *n < lo || *n > hi || *n != static_cast<int>(*n)) {
    diags.error(yaml::loc(doc, e.key_node), e.key + " of " + component + " must be a whole number from " +
                                                std::to_string(lo) + " to " + std::to_string(hi) + ", not " +
                                                yaml::describe(e.value));
    return;
  }
  out = static_cast<int>(*n);
}

// random_seed of a learned component.
void seed_setting(const yaml::Doc& doc, const yaml::Entry& e, const std::string& component, uint64_t& out,
                  Diags& diags) {
  int seed = 0;
  int_setting(doc, e, component, 0, 2147483647, seed, diags);
  out = static_cast<uint64_t>(seed);
}

void unused_setting(const yaml::Doc& doc, const yaml::Entry& e, const std::string& component, Diags& diags) {
  diags.warning(yaml::loc(doc, e.key_node), "setting '" + yaml::excerpt(e.key) + "' of " + component + " is not used by Parley");
}

// DIETClassifier and CRFEntityExtractor both map onto the CRF entity extractor; DIET's intent side
// is the fastText classifier.
void read_entity_learner(const yaml::Doc& doc, const YAML::Node& item, const std::string& name, Config& out,
                         Diags& diags) {
  bool recognise = true;
  for (const auto& e : yaml::entries(item)) {
    if (e.key == "name") continue;
    if (e.key == "BILOU_flag") {
      bool_setting(doc, e, name, out.entity_bilou, diags);
    } else if (e.key == "random_seed") {
      seed_setting(doc, e, name, out.nlu_seed, diags);
    } else if (name == "DIETClassifier" && e.key == "entity_recognition") {
      bool_setting(doc, e, name, recognise, diags);
    } else if (name == "CRFEntityExtractor" && e.key == "max_iterations") {
      int_setting(doc, e, name, 1, 10000, out.crf_max_iterations, diags);
    } else if (name == "CRFEntityExtractor" && e.key == "L1_c") {
      number_setting(doc, e, name, 0, 1000, out.crf_l1, diags);
    } else if (name == "CRFEntityExtractor" && e.key == "L2_c") {
      number_setting(doc, e, name, 0, 1000, out.crf_l2, diags);
    } else if (name == "DIETClassifier" && (e.key == "epochs" || e.key == "intent_classification")) {
      // Meaningful for DIET's neural network only: the CRF trains until converged, fastText
      // classifies intents.
      continue;
    } else {
      unused_setting(doc, e, name, diags);
    }
  }
  if (!recognise) return;
  // CRFEntityExtractor named anywhere wins the name: it says what the entities come from.
  if (!out.entity_learner_enabled || name == "CRFEntityExtractor") out.entity_learner_component = name;
  out.entity_learner_enabled = true;
}

// An optional text setting (null reads as unset) of DucklingEntityExtractor.
void duckling_text(const yaml::Doc& doc, const yaml::Entry& e, std::string& out, Diags& diags) {
  if (yaml::is_null(e.value)) return;
  auto s = yaml::text(e.value);
  if (!s) {
    diags.error(yaml::loc(doc, e.key_node),
                e.key + " of DucklingEntityExtractor must be a string, not " + yaml::describe(e.value));
    return;
  }
  out = *s;
}

std::string join_dims(const std::vector<std::string>& dims) {
  std::string out;
  for (const auto& d : dims) out += (out.empty() ? "" : ", ") + d;
  return out;
}

// DucklingEntityExtractor: a Duckling server called as Rasa calls it, or, without a url, the
// dimensions Parley extracts itself and a warning naming the ones it cannot.
void read_duckling(const yaml::Doc& doc, const YAML::Node& item, Config& out, Diags& diags) {
  const std::string name = "DucklingEntityExtractor";
  DucklingConfig& d = out.duckling;
  d = DucklingConfig{};
  d.enabled = true;
  d.loc = yaml::loc(doc, item);
  for (const auto& e : yaml::entries(item)) {
    if (e.key == "name") continue;
    if (e.key == "url") {
      duckling_text(doc, e, d.url, diags);
    } else if (e.key == "locale") {
      duckling_text(doc, e, d.locale, diags);
    } else if (e.key == "timezone") {
      duckling_text(doc, e, d.timezone, diags);
    } else if (e.key == "timeout") {
      number_setting(doc, e, name, 0.001, 600, d.timeout_seconds, diags);
    } else if (e.key == "dimensions") {
      if (yaml::is_null(e.value)) continue;
      d.dimensions_set = yaml::string_list(doc, e.value, "dimensions of " + name, d.dimensions, diags);
      for (const auto& dim : d.dimensions) {
        const auto& known = duckling_dimensions();
        if (std::find(known.begin(), known.end(), dim) == known.end())
          diags.warning(yaml::loc(doc, e.key_node), "dimension '" + yaml::excerpt(dim) +
                                                        "' of DucklingEntityExtractor is not one of Duckling's (" +
                                                        join_dims(known) + "); no entity will have it");
      }
    } else {
      unused_setting(doc, e, name, diags);
    }
  }
  // As Rasa: the environment variable wins over the configured url.
  if (const char* env = std::getenv("RASA_DUCKLING_HTTP_URL"); env && *env) d.url = env;
  if (!d.url.empty()) {
    auto url = parse_http_url(d.url, "DucklingEntityExtractor url");
    if (!url.ok()) {
      diags.error(d.loc, url.status().message() + "; give the Duckling server's address, such as http://localhost:8000");
      return;
    }
    if (!url->tls) return;
    diags.warning(d.loc, "DucklingEntityExtractor url '" + yaml::excerpt(d.url) +
                             "': Parley calls Duckling over plain http only; it extracts entities itself instead");
    d.url.clear();
  }
  std::vector<std::string> uncovered;
  if (d.dimensions_set) {
    for (const auto& dim : d.dimensions)
      if (!duckling_builtin_dimension(dim)) uncovered.push_back(dim);
  } else {
    for (const auto& dim : duckling_dimensions())
      if (!duckling_builtin_dimension(dim)) uncovered.push_back(dim);
  }
  if (!uncovered.empty())
    diags.warning(d.loc, "DucklingEntityExtractor has no url: Parley extracts email, url, phone-number, number, "
                         "ordinal and amount-of-money itself, but not " +
                             join_dims(uncovered) + "; give the url of a Duckling server for those");
}

void read_pipeline(const yaml::Doc& doc, const YAML::Node& node, Config& out, Diags& diags) {
  if (yaml::is_null(node)) return;  // Rasa's default pipeline (DIET, RegexFeaturizer, FallbackClassifier)
  if (!yaml::is_seq(node)) {
    diags.error(yaml::loc(doc, node), "'pipeline' must be a list of components, not " + yaml::describe(node));
    return;
  }
  out.nlu_fallback_enabled = false;
  out.entity_learner_enabled = false;
  out.regex_features_enabled = false;
  out.response_selectors.clear();
  for (const auto& item : node) {
    std::string name = component_name(doc, item, "pipeline", diags);
    if (name.empty()) continue;
    SourceLoc at = yaml::loc(doc, item);
    if (name == "DIETClassifier" || name == "CRFEntityExtractor") {
      read_entity_learner(doc, item, name, out, diags);
      continue;
    }
    // EntitySynonymMapper: entity values always map through the synonyms.
    if (name == "RegexFeaturizer" || name == "EntitySynonymMapper") {
      if (name == "RegexFeaturizer") out.regex_features_enabled = true;
      for (const auto& e : yaml::entries(item))
        if (e.key != "name") unused_setting(doc, e, name, diags);
      continue;
    }
    if (name == "ResponseSelector") {
      std::string retrieval_intent;
      for (const auto& e : yaml::entries(item)) {
        if (e.key == "name") continue;
        if (e.key == "retrieval_intent") {
          auto v = yaml::text(e.value);
          if (!v) {
            diags.error(yaml::loc(doc, e.value), "retrieval_intent of ResponseSelector must be an intent name, not " +
                                                     yaml::describe(e.value));
            continue;
          }
          retrieval_intent = *v;
        } else if (e.key == "epochs" || e.key == "constrain_similarities" || e.key == "model_confidence" ||
                   e.key == "use_text_as_label" || e.key == "random_seed") {
          continue;  // settings of Rasa's neural network: Parley's selector is a fastText classifier
        } else {
          unused_setting(doc, e, name, diags);
        }
      }
      out.response_selectors.push_back(std::move(retrieval_intent));
      continue;
    }
    if (name == "DucklingEntityExtractor" || name == "DucklingHTTPExtractor") {
      read_duckling(doc, item, out, diags);
      continue;
    }
    if (name != "FallbackClassifier") {
      diags.warning(at, "pipeline component '" + name + "' is not used by Parley; " + kNluInstead);
      continue;
    }
    out.nlu_fallback_enabled = true;
    for (const auto& e : yaml::entries(item)) {
      if (e.key == "name") continue;
      if (e.key == "threshold") {
        number_setting(doc, e, name, 0, 1, out.nlu_fallback_threshold, diags);
      } else if (e.key == "ambiguity_threshold") {
        number_setting(doc, e, name, 0, 1, out.ambiguity_threshold, diags);
      } else {
        unused_setting(doc, e, name, diags);
      }
    }
  }
}

// TEDPolicy maps onto the learned policy.
void read_learned_policy(const yaml::Doc& doc, const YAML::Node& item, const std::string& name, Config& out,
                         Diags& diags) {
  out.learned_policy_enabled = true;
  out.learned_policy_component = name;
  for (const auto& e : yaml::entries(item)) {
    if (e.key == "name") continue;
    if (e.key == "max_history") {
      int_setting(doc, e, name, 1, 50, out.learned_policy_max_history, diags);
    } else if (e.key == "epochs") {
      int_setting(doc, e, name, 1, 10000, out.learned_policy_epochs, diags);
    } else if (e.key == "random_seed") {
      seed_setting(doc, e, name, out.learned_policy_seed, diags);
    } else {
      unused_setting(doc, e, name, diags);
    }
  }
}

void read_memoization(const yaml::Doc& doc, const YAML::Node& item, const std::string& name, Config& out,
                      Diags& diags) {
  out.memoization_enabled = true;
  for (const auto& e : yaml::entries(item)) {
    if (e.key == "name") continue;
    if (e.key == "max_history") {
      if (yaml::is_null(e.value)) {
        diags.warning(yaml::loc(doc, e.key_node), "max_history of " + name + " is null (the whole history), "
                                                  "which Parley does not support; it uses " +
                                                  std::to_string(out.memoization_max_history));
        continue;
      }
      int_setting(doc, e, name, 1, 1000, out.memoization_max_history, diags);
    } else {
      unused_setting(doc, e, name, diags);
    }
  }
}

void read_rule_policy(const yaml::Doc& doc, const YAML::Node& item, Config& out, Diags& diags) {
  out.rules_enabled = true;
  const std::string name = "RulePolicy";
  for (const auto& e : yaml::entries(item)) {
    if (e.key == "name") continue;
    if (e.key == "core_fallback_threshold") {
      number_setting(doc, e, name, 0, 1, out.core_fallback_threshold, diags);
    } else if (e.key == "core_fallback_action_name") {
      auto s = yaml::text(e.value);
      if (!s) {
        diags.error(yaml::loc(doc, e.key_node), "core_fallback_action_name of RulePolicy must be an action name, not " +
                                                    yaml::describe(e.value));
        continue;
      }
      out.core_fallback_action = *s;
    } else if (e.key == "enable_fallback_prediction") {
      bool_setting(doc, e, name, out.enable_fallback_prediction, diags);
    } else if (e.key == "restrict_rules") {
      bool_setting(doc, e, name, out.restrict_rules, diags);
    } else if (e.key == "check_for_contradictions") {
      bool_setting(doc, e, name, out.check_for_contradictions, diags);
    } else {
      unused_setting(doc, e, name, diags);
    }
  }
}

void read_policies(const yaml::Doc& doc, const YAML::Node& node, Config& out, Diags& diags) {
  if (yaml::is_null(node)) return;  // Rasa's default policies include memoization and rules
  if (!yaml::is_seq(node)) {
    diags.error(yaml::loc(doc, node), "'policies' must be a list of policies, not " + yaml::describe(node));
    return;
  }
  out.memoization_enabled = false;
  out.rules_enabled = false;
  out.learned_policy_enabled = false;
  for (const auto& item : node) {
    std::string name = component_name(doc, item, "policies", diags);
    if (name.empty()) continue;
    SourceLoc at = yaml::loc(doc, item);
    if (name == "MemoizationPolicy") {
      read_memoization(doc, item, name, out, diags);
    } else if (name == "AugmentedMemoizationPolicy") {
      read_memoization(doc, item, name, out, diags);
      out.memoization_augmented = true;
    } else if (name == "RulePolicy") {
      read_rule_policy(doc, item, out, diags);
    } else if (name == "TEDPolicy") {
      read_learned_policy(doc, item, name, out, diags);
    } else {
      diags.warning(at, "policy '" + name + "' is not used by Parley; " + kPolicyInstead);
    }
  }
}

// Expands ${VAR} from the environment, as Rasa does in endpoints.yml.
std::string expand_env(const std::string& s, const SourceLoc& at, Diags& diags) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    size_t open = s.find("${", i);
    size_t close = open == std::string::npos ? std::string::npos : s.find('}', open + 2);
    if (close == std::string::npos) {
      out += s.substr(i);
      break;
    }
    out += s.substr(i, open - i);
    std::string var = s.substr(open + 2, close - open - 2);
    const char* value = std::getenv(var.c_str());
    if (!value) diags.warning(at, "environment variable '" + var + "' is not set; it is read as empty");
    out += value ? value : "";
    i = close + 1;
  }
  return out;
}

}  // namespace

Config default_config() {
  Config c;
  c.nlu_fallback_enabled = true;
  return c;
}

void read_config(const yaml::Doc& doc, Config& out, Diags& diags) {
  out = default_config();
  if (yaml::is_null(doc.root)) return;
  if (!yaml::is_map(doc.root)) {
    diags.error(yaml::loc(doc, doc.root), "config.yml must be a mapping (language, pipeline, policies), not " +
                                              yaml::describe(doc.root));
    return;
  }
  for (const auto& e : yaml::entries(doc.root)) {
    SourceLoc at = yaml::loc(doc, e.key_node);
    if (e.key == "language") {
      auto s = yaml::text(e.value);
      if (!s) {
        diags.error(at, "language must be a language code such as 'en', not " + yaml::describe(e.value));
        continue;
      }
      out.language = *s;
    } else if (e.key == "pipeline") {
      read_pipeline(doc, e.value, out, diags);
    } else if (e.key == "policies") {
      read_policies(doc, e.value, out, diags);
    } else if (e.key == "recipe" || e.key == "assistant_id" || e.key == "version") {
      // Accepted: they name the model; Parley has one way to train.
    } else {
      diags.warning(at, "config key '" + yaml::excerpt(e.key) + "' is not used by Parley");
    }
  }
}

void read_endpoints(const yaml::Doc& doc, Endpoints& out, Diags& diags) {
  if (yaml::is_null(doc.root)) return;
  if (!yaml::is_map(doc.root)) {
    diags.error(yaml::loc(doc, doc.root), "endpoints.yml must be a mapping, not " + yaml::describe(doc.root));
    return;
  }
  for (const auto& e : yaml::entries(doc.root)) {
    SourceLoc at = yaml::loc(doc, e.key_node);
    if (e.key != "action_endpoint") {
      diags.warning(at, "endpoint '" + yaml::excerpt(e.key) + "' is not used by Parley (its store, event sinks and locks are set "
                                               "in Parley's own config)");
      continue;
    }
    if (yaml::is_null(e.value)) continue;
    auto url = yaml::get(e.value, "url");
    auto s = url ? yaml::text(*url) : std::nullopt;
    if (!s) {
      diags.error(at, "action_endpoint must be a mapping with a 'url', not " + yaml::describe(e.value));
      continue;
    }
    out.action_endpoint_url = expand_env(*s, yaml::loc(doc, *url), diags);
    for (const auto& k : yaml::entries(e.value))
      if (k.key != "url")
        unused_setting(doc, k, "action_endpoint", diags);
  }
}

}  // namespace parley::project
