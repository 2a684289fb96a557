// The Rasa 3.x project format as plain value types: what project/loader.h reads from a project folder
// (domain, NLU data, stories, rules, config, endpoints) and what nlu/ and dialogue/ are built from.
// Every item keeps the file and line it came from, so later checks can name them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"

namespace parley::project {

struct SourceLoc {
  std::string file;  // path as given to the loader, relative to the project folder when possible
  int line = 0;      // 1-based; 0 when unknown
  std::string to_string() const { return line > 0 ? file + ":" + std::to_string(line) : file; }
};

// A loading problem. Errors make a project unusable; warnings are printed and loading goes on.
struct Diagnostic {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  SourceLoc loc;
  std::string message;
  std::string to_string() const {
    return loc.to_string() + ": " + (severity == Severity::kError ? "error: " : "warning: ") + message;
  }
};

// ---- domain.yml ----------------------------------------------------------------------------

struct Intent {
  std::string name;
  // use_entities: true (default) means all entities; a list restricts; ignore_entities removes.
  bool use_all_entities = true;
  std::vector<std::string> use_entities{};
  std::vector<std::string> ignore_entities{};
  SourceLoc loc{};
};

enum class SlotType { kText, kBool, kCategorical, kFloat, kList, kAny };

// One `conditions:` item of a slot mapping. An empty active_loop with active_loop_set means
// "active_loop: null" (no loop may be active).
struct MappingCondition {
  std::optional<std::string> active_loop;  // nullopt: not constrained; "" : must be no loop
  std::optional<std::string> requested_slot;
};

enum class MappingType { kFromEntity, kFromText, kFromIntent, kFromTriggerIntent, kCustom };

struct SlotMapping {
  MappingType type = MappingType::kCustom;
  std::string entity;                  // from_entity
  std::optional<std::string> role;     // from_entity
  std::optional<std::string> group;    // from_entity
  std::vector<std::string> intents;    // `intent:` (string or list); empty = any
  std::vector<std::string> not_intents;
  json::value value;                   // from_intent / from_trigger_intent
  std::vector<MappingCondition> conditions;  // empty = always applies
  SourceLoc loc;
};

struct Slot {
  std::string name;
  SlotType type = SlotType::kAny;
  bool influence_conversation = true;  // Rasa's default, except for `any` (always false)
  json::value initial_value;           // null when not given
  std::vector<std::string> values;     // categorical
  double min_value = 0.0, max_value = 1.0;  // float
  std::vector<SlotMapping> mappings;
  SourceLoc loc;
};

struct Button {
  std::string title;
  std::string payload;
};

// A `condition:` item of a response variation: `{type: slot, name: X, value: V}`.
struct ResponseCondition {
  std::string slot;
  json::value value;
};

struct ResponseVariation {
  std::string text;                     // may contain {slot} placeholders
  std::string image;
  std::vector<Button> buttons;
  json::value custom;                   // null when absent
  json::value attachment;               // null when absent
  std::string channel;                  // "" = any channel
  std::vector<ResponseCondition> conditions;
  SourceLoc loc;
};

struct Form {
  std::string name;
  std::vector<std::string> required_slots;
  std::vector<std::string> ignored_intents;
  SourceLoc loc;
};

struct SessionConfig {
  double session_expiration_minutes = 60;  // 0 = sessions never expire
  bool carry_over_slots = true;
};

struct Domain {
  std::vector<Intent> intents;
  std::vector<std::string> entities;
  std::vector<Slot> slots;                                       // in file order
  std::map<std::string, std::vector<ResponseVariation>> responses;
  std::vector<Form> forms;
  std::vector<std::string> actions;                              // custom action names, as listed
  SessionConfig session_config;
  std::map<std::string, SourceLoc> locs;  // where each named item was declared ("intent:greet", ...)

  const Intent* find_intent(std::string_view name) const;
  const Slot* find_slot(std::string_view name) const;
  const Form* find_form(std::string_view name) const;
  bool has_response(std::string_view name) const { return responses.count(std::string(name)) > 0; }
  bool has_action(std::string_view name) const;  // listed under actions:
  // utter_faq when there are responses utter_faq/...: Rasa's action for retrieval intent faq.
  bool is_retrieval_action(std::string_view name) const;
  bool has_entity(std::string_view name) const;
};

// ---- data/ (NLU) -----------------------------------------------------------------------------

struct EntityAnnotation {
  std::string entity;
  std::string value;        // normalised value (synonym target or `value` from the annotation)
  std::string text;         // the annotated text as written in the example
  size_t start = 0, end = 0;  // character offsets of `text` in the example's plain text
  std::optional<std::string> role, group;
};

struct NluExample {
  std::string intent;
  std::string text;                        // plain text, annotations removed
  std::vector<EntityAnnotation> entities;
  SourceLoc loc;
};

struct Synonym {
  std::string value;                 // the target
  std::vector<std::string> examples; // texts mapped to the target
  SourceLoc loc;
};

struct RegexFeature {
  std::string name;                  // used as the entity name when it names a domain entity
  std::vector<std::string> patterns;
  SourceLoc loc;
  std::vector<SourceLoc> pattern_locs = {};  // where each pattern is written (when read from a file)
};

struct LookupTable {
  std::string name;                  // entity name
  std::vector<std::string> elements;
  SourceLoc loc;
};

struct NluData {
  std::vector<NluExample> examples;
  std::vector<Synonym> synonyms;
  std::vector<RegexFeature> regexes;
  std::vector<LookupTable> lookups;
};

// ---- data/ (stories and rules), tests/ (test stories) -----------------------------------------

// A user turn in a story: the intent (with entities), or in a test story also the text.
struct UserStep {
  std::string intent;                      // for a retrieval intent (faq/ask_name), its base: faq
  std::string full_retrieval_intent{};     // faq/ask_name; "" for an ordinary intent
  std::vector<EntityAnnotation> entities;  // name and value; offsets only for test-story texts
  std::optional<std::string> text;         // test stories: the message as typed (annotations removed)
};

// One expected slot value in slot_was_set / condition. `any_value` for the bare `- slot_name` form.
struct SlotValue {
  std::string name;
  bool any_value = false;
  json::value value;  // null = the slot must not be set
};

struct Step {
  enum class Kind { kUser, kOr, kAction, kBot, kSlotWasSet, kActiveLoop, kCheckpoint, kAnyHistory };
  Kind kind = Kind::kAction;
  UserStep user;                  // kUser
  std::vector<UserStep> alternatives;  // kOr
  std::string name;               // kAction: action; kActiveLoop: loop ("" = null); kCheckpoint; kBot: text
  std::vector<SlotValue> slots;   // kSlotWasSet
  SourceLoc loc;
};

struct Story {
  std::string name;
  bool is_rule = false;
  std::vector<Step> steps;
  // rules only
  std::vector<Step> condition;     // kSlotWasSet / kActiveLoop items
  bool conversation_start = false;
  bool wait_for_user_input = true;
  SourceLoc loc;
};

// ---- config.yml and endpoints.yml -------------------------------------------------------------

// DucklingEntityExtractor in config.yml. With a url, Parley calls that Duckling server as Rasa
// does (nlu/duckling.h); without one, it extracts the dimensions that need no model itself.
struct DucklingConfig {
  bool enabled = false;
  SourceLoc loc;                     // the pipeline item
  std::string url;                   // "" = built-in extraction; RASA_DUCKLING_HTTP_URL overrides
  std::vector<std::string> dimensions;  // empty: every dimension
  bool dimensions_set = false;       // `dimensions` given (a list, possibly empty) rather than null
  std::string locale;                // "" = not sent (Duckling's default)
  std::string timezone;              // "" = not sent
  double timeout_seconds = 3;        // Rasa's default
};

struct Config {
  std::string language = "en";
  DucklingConfig duckling;
  double nlu_fallback_threshold = 0.3;       // FallbackClassifier threshold; below it: nlu_fallback
  double ambiguity_threshold = 0.1;          // FallbackClassifier ambiguity_threshold
  bool nlu_fallback_enabled = false;         // true when FallbackClassifier is in the pipeline
  double core_fallback_threshold = 0.3;      // RulePolicy core_fallback_threshold
  std::string core_fallback_action = "action_default_fallback";
  bool enable_fallback_prediction = true;
  int memoization_max_history = 5;           // MemoizationPolicy max_history
  bool memoization_enabled = true;
  // AugmentedMemoizationPolicy: without an exact match, forget the oldest turns one by one (and the
  // slots they set) and look again.
  bool memoization_augmented = false;
  bool rules_enabled = true;
  bool restrict_rules = true;
  bool check_for_contradictions = true;

  // Learned entity extraction (a linear-chain CRF): on with DIETClassifier (entity_recognition not
  // false) or CRFEntityExtractor in the pipeline, or with Rasa's default pipeline.
  bool entity_learner_enabled = true;
  std::string entity_learner_component = "DIETClassifier";  // reported as each entity's extractor
  bool entity_bilou = true;               // BILOU_flag
  int crf_max_iterations = 100;           // L-BFGS iterations (CRFEntityExtractor max_iterations)
  double crf_l1 = 0.1, crf_l2 = 0.1;      // CRFEntityExtractor L1_c / L2_c
  // Lookup tables and regexes as features of the intent classifier (RegexFeaturizer, or Rasa's
  // default pipeline).
  bool regex_features_enabled = true;
  // Each ResponseSelector of the pipeline: its retrieval_intent, "" for one over all retrieval
  // intents (parse data key "default"). Rasa's default pipeline has one of those.
  std::vector<std::string> response_selectors{""};
  uint64_t nlu_seed = 17;                 // DIETClassifier / CRFEntityExtractor random_seed

  // The learned dialogue policy (TEDPolicy in config.yml, or Rasa's default policies): below rules
  // and memoization, for conversations that leave every rule and story.
  bool learned_policy_enabled = true;
  std::string learned_policy_component = "TEDPolicy";
  int learned_policy_max_history = 5;     // TEDPolicy max_history
  int learned_policy_epochs = 0;          // 0: chosen from the data size
  uint64_t learned_policy_seed = 17;      // TEDPolicy random_seed
};

struct Endpoints {
  std::string action_endpoint_url;  // "" when not configured
};

// A whole project folder as read from disk.
struct Project {
  std::string name;  // folder name
  std::string dir;
  Domain domain;
  NluData nlu;
  std::vector<Story> stories;
  std::vector<Story> rules;
  Config config;
  Endpoints endpoints;
};

// Duckling's dimensions (its `dim` names), and whether Parley extracts one without a Duckling
// server (nlu/duckling.h: email, url, phone-number, number, ordinal, amount-of-money).
const std::vector<std::string>& duckling_dimensions();
bool duckling_builtin_dimension(std::string_view dim);

// Names of Rasa's built-in actions and intents that a project may use without declaring them.
bool is_default_action(std::string_view name);
bool is_default_intent(std::string_view name);
// The base of a retrieval intent ("faq" of "faq/ask_name"); the name itself for any other intent.
std::string_view base_intent(std::string_view name);
inline bool is_retrieval_intent(std::string_view name) { return base_intent(name).size() != name.size(); }

}  // namespace parley::project
