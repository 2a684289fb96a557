// NLU data: inline entity annotations of every form (offsets in the plain text), synonyms
// learned from annotations, synonym/regex/lookup items, and the lines examples come from.
#include <gtest/gtest.h>

#include "project/loader_test_util.h"

namespace parley::project {
namespace {

using testing::all;
using testing::load;
using testing::with;

struct Parsed {
  bool ok;
  std::string text;
  std::vector<EntityAnnotation> entities;
  std::string error;
};

Parsed parse(std::string_view line) {
  Parsed p;
  p.ok = parse_annotated_text(line, p.text, p.entities, p.error);
  return p;
}

TEST(LoaderAnnotation, plain_text_is_unchanged) {
  Parsed p = parse("hello there (friend)");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.text, "hello there (friend)");
  EXPECT_TRUE(p.entities.empty());
}

TEST(LoaderAnnotation, entity_in_parentheses) {
  Parsed p = parse("fly to [Berlin](city) today");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.text, "fly to Berlin today");
  ASSERT_EQ(p.entities.size(), 1u);
  const auto& e = p.entities[0];
  EXPECT_EQ(e.entity, "city");
  EXPECT_EQ(e.value, "Berlin");
  EXPECT_EQ(e.text, "Berlin");
  EXPECT_EQ(e.start, 7u);
  EXPECT_EQ(e.end, 13u);
  EXPECT_EQ(p.text.substr(e.start, e.end - e.start), "Berlin");
  EXPECT_FALSE(e.role.has_value());
}

TEST(LoaderAnnotation, entity_with_value) {
  Parsed p = parse("[NYC](city:New York) and [LA](city:Los Angeles)");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.text, "NYC and LA");
  ASSERT_EQ(p.entities.size(), 2u);
  EXPECT_EQ(p.entities[0].value, "New York");
  EXPECT_EQ(p.entities[0].text, "NYC");
  EXPECT_EQ(p.entities[0].start, 0u);
  EXPECT_EQ(p.entities[0].end, 3u);
  EXPECT_EQ(p.entities[1].value, "Los Angeles");
  EXPECT_EQ(p.entities[1].start, 8u);
  EXPECT_EQ(p.entities[1].end, 10u);
}

TEST(LoaderAnnotation, json_annotation_with_role_and_group) {
  Parsed p = parse(R"(from [Paris]{"entity": "city", "value": "paris", "role": "origin", "group": "1"} on)");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.text, "from Paris on");
  ASSERT_EQ(p.entities.size(), 1u);
  const auto& e = p.entities[0];
  EXPECT_EQ(e.entity, "city");
  EXPECT_EQ(e.value, "paris");
  EXPECT_EQ(e.role, "origin");
  EXPECT_EQ(e.group, "1");
  EXPECT_EQ(e.start, 5u);
  EXPECT_EQ(e.end, 10u);
}

TEST(LoaderAnnotation, json_annotation_without_value_and_with_braces_in_strings) {
  Parsed p = parse(R"([x]{"entity": "sym}bol"} end)");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.text, "x end");
  ASSERT_EQ(p.entities.size(), 1u);
  EXPECT_EQ(p.entities[0].entity, "sym}bol");
  EXPECT_EQ(p.entities[0].value, "x");
}

TEST(LoaderAnnotation, list_of_json_annotations_on_one_text) {
  Parsed p = parse(R"(I live in [Berlin][{"entity": "city"}, {"entity": "location", "role": "home"}])");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.text, "I live in Berlin");
  ASSERT_EQ(p.entities.size(), 2u);
  EXPECT_EQ(p.entities[0].entity, "city");
  EXPECT_EQ(p.entities[1].entity, "location");
  EXPECT_EQ(p.entities[1].role, "home");
  EXPECT_EQ(p.entities[1].start, 10u);
  EXPECT_EQ(p.entities[1].end, 16u);
}

TEST(LoaderAnnotation, offsets_are_bytes_of_the_plain_text) {
  Parsed p = parse("café [Zürich](city)");
  ASSERT_TRUE(p.ok) << p.error;
  ASSERT_EQ(p.entities.size(), 1u);
  EXPECT_EQ(p.text.substr(p.entities[0].start, p.entities[0].end - p.entities[0].start), "Zürich");
}

// Issue 12, item 5: Rasa keeps a '[' that starts no annotation as text; Parley rejected the project.
TEST(LoaderAnnotation, brackets_that_annotate_nothing_stay_plain_text_as_in_rasa) {
  struct Case {
    const char* line;
    const char* text;
  } cases[] = {
      {"book a [table] now", "book a [table] now"},
      {"book a [table", "book a [table"},
      {"[] and [x](e)", "[] and x"},
      {"[[x]](e)", "[[x]](e)"},
      {"[a [b](e)", "[a b"},
      {"the [covid-19](disease vaccine cost", "the [covid-19](disease vaccine cost"},
  };
  for (const auto& c : cases) {
    std::string text, error;
    std::vector<EntityAnnotation> entities;
    std::vector<std::string> plain;
    EXPECT_TRUE(parse_annotated_text(c.line, text, entities, error, &plain)) << c.line << " -> " << error;
    EXPECT_EQ(text, c.text) << c.line;
    EXPECT_FALSE(plain.empty()) << c.line;
  }
  std::string text, error;
  std::vector<EntityAnnotation> entities;
  std::vector<std::string> plain;
  ASSERT_TRUE(parse_annotated_text("[a [b](e)", text, entities, error, &plain));
  ASSERT_EQ(entities.size(), 1u);
  EXPECT_EQ(entities[0].entity, "e");
  EXPECT_EQ(text.substr(entities[0].start, entities[0].end - entities[0].start), "b");
}

TEST(LoaderAnnotation, malformed_annotations_are_errors_that_say_why) {
  struct Case {
    const char* line;
    const char* problem;
  } cases[] = {
      {"[x]()", "no entity name"},
      {"[x](:v)", "no entity name"},
      {"[x](city:)", "empty value"},
      {R"([x]{"entity": "city")", "unclosed '{'"},
      {R"([x]{"entity": city})", "bad JSON"},
      {R"([x]{"value": "v"})", "has no \"entity\""},
      {R"([x]{"entity": ""})", "not a non-empty string"},
      {R"([x]{"entity": "e", "role": 3})", "\"role\" must be a string"},
      {R"([x][{"entity": "e"}, 5])", "must be a JSON object"},
      {R"([x][])", "non-empty JSON list"},
  };
  for (const auto& c : cases) {
    Parsed p = parse(c.line);
    EXPECT_FALSE(p.ok) << c.line;
    EXPECT_NE(p.error.find(c.problem), std::string::npos) << c.line << " -> " << p.error;
  }
}

const char* kNlu = R"(version: "3.1"
nlu:
- intent: greet
  examples: |
    - hi

    - hello [Anna](name)
- intent: inform
  examples: |
    - I am in [NYC](city:New York)
    - [big apple]{"entity": "city", "value": "New York"} it is
    - going to [Berlin](city)
    - [berlin](city) please
- synonym: Berlin
  examples: |
    - berlin
    - BER
- synonym: New York
  examples: |
    - the city that never sleeps
- regex: zipcode
  examples: |
    - \b[0-9]{5}\b
- lookup: city
  examples: |
    - Paris
    - Rome
- lookup: city
  examples: |
    - Oslo
)";

LoadResult load_nlu() {
  return load(with({{"domain.yml", "intents: [greet, inform]\nentities: [city, name]\n"
                                   "responses:\n  utter_greet:\n  - text: hi\n"},
                    {"data/nlu.yml", kNlu},
                    {"data/stories.yml", "stories: []\n"}}));
}

TEST(LoaderNlu, examples_keep_their_lines_and_annotations) {
  LoadResult r = load_nlu();
  ASSERT_TRUE(r.ok()) << all(r.diagnostics);
  const auto& ex = r.project.nlu.examples;
  ASSERT_EQ(ex.size(), 6u);
  EXPECT_EQ(ex[0].text, "hi");
  EXPECT_EQ(ex[0].loc.to_string(), "data/nlu.yml:5");
  EXPECT_EQ(ex[1].text, "hello Anna");
  EXPECT_EQ(ex[1].loc.to_string(), "data/nlu.yml:7");  // the blank line is counted
  EXPECT_EQ(ex[1].entities[0].entity, "name");
  EXPECT_EQ(ex[1].entities[0].start, 6u);
  EXPECT_EQ(ex[2].intent, "inform");
  EXPECT_EQ(ex[2].text, "I am in NYC");
  EXPECT_EQ(ex[2].loc.line, 10);
  EXPECT_EQ(ex[2].entities[0].value, "New York");
  EXPECT_EQ(ex[3].text, "big apple it is");
  EXPECT_EQ(ex[3].entities[0].value, "New York");
  EXPECT_EQ(ex[3].loc.line, 11);
}

TEST(LoaderNlu, annotation_values_define_synonyms_and_synonyms_normalise_values) {
  LoadResult r = load_nlu();
  ASSERT_TRUE(r.ok()) << all(r.diagnostics);
  const auto& syn = r.project.nlu.synonyms;
  ASSERT_EQ(syn.size(), 2u);
  EXPECT_EQ(syn[0].value, "New York");
  EXPECT_EQ(syn[0].examples, (std::vector<std::string>{"NYC", "big apple", "the city that never sleeps"}));
  EXPECT_EQ(syn[1].value, "Berlin");
  EXPECT_EQ(syn[1].examples, (std::vector<std::string>{"berlin", "BER"}));
  // "[berlin](city)" is mapped to the synonym's target, as EntitySynonymMapper would
  const auto& ex = r.project.nlu.examples;
  EXPECT_EQ(ex[5].entities[0].text, "berlin");
  EXPECT_EQ(ex[5].entities[0].value, "Berlin");
  EXPECT_EQ(ex[4].entities[0].value, "Berlin");
}

TEST(LoaderNlu, regexes_and_lookup_tables) {
  LoadResult r = load_nlu();
  ASSERT_TRUE(r.ok()) << all(r.diagnostics);
  const auto& nlu = r.project.nlu;
  ASSERT_EQ(nlu.regexes.size(), 1u);
  EXPECT_EQ(nlu.regexes[0].name, "zipcode");
  EXPECT_EQ(nlu.regexes[0].patterns, std::vector<std::string>{"\\b[0-9]{5}\\b"});
  EXPECT_EQ(nlu.regexes[0].loc.to_string(), "data/nlu.yml:21");
  ASSERT_EQ(nlu.lookups.size(), 1u);  // two items of the same table are merged
  EXPECT_EQ(nlu.lookups[0].name, "city");
  EXPECT_EQ(nlu.lookups[0].elements, (std::vector<std::string>{"Paris", "Rome", "Oslo"}));
}

TEST(LoaderNlu, data_files_are_read_recursively_in_path_order) {
  auto files = testing::base_files();
  files["data/nlu.yml"] = "nlu:\n- intent: greet\n  examples: |\n    - hi\n";
  files["data/more/extra.yaml"] = "nlu:\n- intent: greet\n  examples: |\n    - howdy\n"
                                  "- intent: goodbye\n  examples: |\n    - bye\n";
  LoadResult r = load(files);
  ASSERT_TRUE(r.ok()) << all(r.diagnostics);
  const auto& ex = r.project.nlu.examples;
  ASSERT_EQ(ex.size(), 3u);
  EXPECT_EQ(ex[0].text, "howdy");  // data/more/extra.yaml sorts before data/nlu.yml
  EXPECT_EQ(ex[0].loc.file, "data/more/extra.yaml");
  EXPECT_EQ(ex[2].text, "hi");
}

TEST(LoaderNlu, examples_given_as_a_yaml_list) {
  LoadResult r = load(with({{"data/nlu.yml", "nlu:\n- intent: greet\n  examples:\n  - hi [Bob](name)\n"
                                             "  - text: hello\n- intent: goodbye\n  examples: |\n    - bye\n"},
                            {"domain.yml", testing::base_files()["domain.yml"] + "entities: [name]\n"}}));
  ASSERT_TRUE(r.ok()) << all(r.diagnostics);
  const auto& ex = r.project.nlu.examples;
  ASSERT_EQ(ex.size(), 3u);
  EXPECT_EQ(ex[0].text, "hi Bob");
  EXPECT_EQ(ex[0].entities[0].entity, "name");
  EXPECT_EQ(ex[0].loc.line, 4);
  EXPECT_EQ(ex[1].text, "hello");
}

}  // namespace
}  // namespace parley::project
