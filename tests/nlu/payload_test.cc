// `/intent{...}` messages: parsed directly, and taken by the model only for known intents.
#include <gtest/gtest.h>

#include "nlu/nlu.h"
#include "nlu/payload.h"
#include "nlu_test_data.h"

namespace parley::nlu {
namespace {

using testing::add_intent;
using testing::make_domain;

TEST(NluPayload, ParsesIntentAlone) {
  auto p = parse_intent_payload("/greet");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->intent, "greet");
  EXPECT_EQ(p->confidence, 1.0);
  EXPECT_TRUE(p->entities.empty());
}

TEST(NluPayload, ParsesEntitiesConfidenceAndLists) {
  auto p = parse_intent_payload(R"(  /order@0.7{"size": "large", "topping": ["ham", "olives"], "count": 2, "x": null}  )");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->intent, "order");
  EXPECT_DOUBLE_EQ(p->confidence, 0.7);
  ASSERT_EQ(p->entities.size(), 4u);
  EXPECT_EQ(p->entities[0].entity, "size");
  EXPECT_EQ(p->entities[0].value, "large");
  EXPECT_EQ(p->entities[0].extractor, "intent_payload");
  EXPECT_EQ(p->entities[1].value, "ham");
  EXPECT_EQ(p->entities[2].value, "olives");
  EXPECT_EQ(p->entities[3].entity, "count");
  EXPECT_EQ(p->entities[3].value, "2");
}

TEST(NluPayload, RejectsWhatIsNotAPayload) {
  EXPECT_FALSE(parse_intent_payload("greet"));
  EXPECT_FALSE(parse_intent_payload("/"));
  EXPECT_FALSE(parse_intent_payload("/help me"));
  EXPECT_FALSE(parse_intent_payload(R"(/order{"size": )"));
  EXPECT_FALSE(parse_intent_payload(R"(/order{"a": 1} trailing)"));
  EXPECT_FALSE(parse_intent_payload(R"(/order{"a": 1}{"b": 2})"));
  EXPECT_FALSE(parse_intent_payload("/order@high"));
  EXPECT_FALSE(parse_intent_payload("/order@1.5"));
}

class NluPayloadModel : public ::testing::Test {
 protected:
  void SetUp() override {
    add_intent(data_, "greet", {"hi", "hello", "hey there"});
    add_intent(data_, "order", {"i want a pizza", "one pizza please", "order a large pizza"});
    domain_ = make_domain({"greet", "order"}, {"size"});
    auto m = train(data_, domain_, TrainOptions{});
    ASSERT_TRUE(m.ok()) << m.status().message();
    model_ = m.value();
  }
  project::NluData data_;
  project::Domain domain_;
  std::shared_ptr<const Model> model_;
};

TEST_F(NluPayloadModel, KnownIntentWithEntities) {
  auto r = model_->parse(R"(/order{"size": "large", "colour": "red"})");
  EXPECT_EQ(r.intent.name, "order");
  EXPECT_EQ(r.intent.confidence, 1.0);
  ASSERT_EQ(r.ranking.size(), 1u);
  ASSERT_EQ(r.entities.size(), 1u) << "entities the domain does not declare are dropped";
  EXPECT_EQ(r.entities[0].entity, "size");
  EXPECT_EQ(r.entities[0].value, "large");
  EXPECT_EQ(r.entities[0].extractor, "intent_payload");
}

TEST_F(NluPayloadModel, DefaultIntents) {
  EXPECT_EQ(model_->parse("/restart").intent.name, "restart");
  EXPECT_EQ(model_->parse("/restart").intent.confidence, 1.0);
  EXPECT_EQ(model_->parse("/session_start").intent.name, "session_start");
  EXPECT_EQ(model_->parse("/back").intent.name, "back");
}

TEST_F(NluPayloadModel, UnknownIntentOrMalformedJsonIsText) {
  auto unknown = model_->parse(R"(/fly{"size": "large"})");
  EXPECT_NE(unknown.intent.name, "fly");
  EXPECT_TRUE(unknown.entities.empty() || unknown.entities[0].extractor != "intent_payload");
  EXPECT_NE(model_->parse(R"(/order["large"])").ranking.size(), 1u);
  auto malformed = model_->parse(R"(/order{"size": large})");
  EXPECT_EQ(malformed.intent.name == "order" && malformed.ranking.size() == 1, false)
      << "malformed JSON must go through the classifier";
  for (const auto& e : malformed.entities) EXPECT_NE(e.extractor, "intent_payload");
}

}  // namespace
}  // namespace parley::nlu
