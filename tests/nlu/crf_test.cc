// The linear-chain CRF (nlu/crf.h) against brute force on tiny problems (gradient against finite
// differences, log Z, Viterbi and marginals against enumeration, a toy task learnt exactly), and
// the entity extractor built on it (nlu/crf_extractor.h): generalisation, roles, offsets, encoding.
#include "nlu/crf.h"

#include <gtest/gtest.h>

#include "nlu/crf_extractor.h"
#include "nlu/crf_lattice.h"
#include "nlu/nlu_test_data.h"

#include <algorithm>
#include <cmath>
#include <random>

using parley::ByteReader;
using parley::ByteWriter;
using parley::nlu::CrfEntityExtractor;
using namespace parley::nlu::crf;

namespace {

constexpr int kTypes = 2;
constexpr uint32_t kAttrs = 6;

// Whether `y` is a labelling the lattice of a sequence with allowed `types` (empty: all) covers.
bool allowed(const Layout& lay, const std::vector<uint16_t>& y, const std::vector<uint16_t>& types = {}) {
  for (uint16_t l : y)
    if (l != 0 && !types.empty() && std::find(types.begin(), types.end(), type_of(l)) == types.end()) return false;
  size_t idx[2];
  for (size_t t = 0; t <= y.size(); ++t)
    if (transition_weights(lay, t == 0 ? -1 : y[t - 1], t == y.size() ? -1 : y[t], idx) == 0) return false;
  return true;
}

// A random sequence of `n` tokens with 1-3 attributes each and an allowed random labelling.
Sequence random_sequence(std::mt19937& rng, size_t n, const Layout& lay, std::vector<uint16_t> types = {}) {
  Sequence s;
  s.types = std::move(types);
  for (size_t t = 0; t < n; ++t) {
    const int count = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < count; ++k) s.attrs.push_back(static_cast<uint32_t>(rng() % kAttrs));
    s.ends.push_back(static_cast<uint32_t>(s.attrs.size()));
  }
  do {
    s.labels.clear();
    for (size_t t = 0; t < n; ++t) s.labels.push_back(static_cast<uint16_t>(rng() % lay.labels()));
  } while (!allowed(lay, s.labels, s.types));
  return s;
}

// A layout where every attribute has a weight for every label (so that brute force sees them all).
Layout full_layout() {
  Layout lay;
  lay.num_types = kTypes;
  lay.attr_begin.push_back(0);
  for (uint32_t a = 0; a < kAttrs; ++a) {
    for (int j = 0; j < lay.labels(); ++j) lay.attr_label.push_back(static_cast<uint16_t>(j));
    lay.attr_begin.push_back(static_cast<uint32_t>(lay.attr_label.size()));
  }
  return lay;
}

std::vector<double> random_weights(std::mt19937& rng, size_t n) {
  std::vector<double> w(n);
  for (double& v : w) v = (static_cast<double>(rng() % 2001) - 1000.0) / 500.0;  // [-2, 2]
  return w;
}

// Calls f(y) for every allowed labelling of `n` tokens.
template <typename F>
void for_each_labelling(const Layout& lay, size_t n, const std::vector<uint16_t>& types, F&& f) {
  std::vector<uint16_t> y(n, 0);
  while (true) {
    if (allowed(lay, y, types)) f(y);
    size_t t = 0;
    while (t < n && ++y[t] == lay.labels()) y[t++] = 0;
    if (t == n) return;
  }
}

}  // namespace

TEST(CrfTest, GradientMatchesFiniteDifferences) {
  std::mt19937 rng(3);
  Layout lay = full_layout();
  std::vector<Sequence> data;
  for (size_t n : {1, 2, 3, 4, 5}) data.push_back(random_sequence(rng, n, lay));
  for (size_t n : {2, 4}) data.push_back(random_sequence(rng, n, lay, {1}));  // only type 1 allowed
  lay = make_layout(data, kTypes, kAttrs);
  std::vector<double> w = random_weights(rng, lay.size());
  std::vector<double> grad(w.size(), 0.0);
  negative_log_likelihood(lay, data, w.data(), grad.data());
  const double h = 1e-5;
  for (size_t i = 0; i < w.size(); ++i) {
    std::vector<double> up = w, down = w;
    up[i] += h;
    down[i] -= h;
    const double numeric = (negative_log_likelihood(lay, data, up.data(), nullptr) -
                            negative_log_likelihood(lay, data, down.data(), nullptr)) / (2 * h);
    EXPECT_NEAR(grad[i], numeric, 1e-6 * std::max(1.0, std::fabs(numeric))) << "weight " << i;
  }
}

TEST(CrfTest, PreparedSequencesGiveExactlyTheSameLossAndGradient) {
  std::mt19937 rng(5);
  Layout lay = full_layout();
  std::vector<Sequence> data;
  for (size_t n : {1, 3, 6}) data.push_back(random_sequence(rng, n, lay));
  for (size_t n : {2, 5}) data.push_back(random_sequence(rng, n, lay, {1}));
  lay = make_layout(data, kTypes, kAttrs);
  for (double scale : {1.0, 300.0}) {  // 300: the safe (log-domain) state potentials
    std::vector<double> w = random_weights(rng, lay.size());
    for (size_t f = 0; f < lay.states(); ++f) w[f] *= scale;
    const BlockWeights e = block_weights(lay, w.data(), true);
    std::vector<double> plain(w.size(), 0.0), prepared(w.size(), 0.0);
    Lattice a, b;
    for (const Sequence& seq : data) {
      const double x = sequence_nll(lay, e, w.data(), seq, a, plain.data());
      const double y = sequence_nll(lay, e, w.data(), seq, prepare(lay, seq), b, prepared.data());
      EXPECT_EQ(x, y);
    }
    EXPECT_EQ(plain, prepared);
  }
}

TEST(CrfTest, PathMarginalsAreTheMarginalsOfThePath) {
  std::mt19937 rng(7);
  const Layout lay = full_layout();
  const Model model(lay, random_weights(rng, lay.size()));
  for (std::vector<uint16_t> types : {std::vector<uint16_t>{}, std::vector<uint16_t>{1}}) {
    const Sequence seq = random_sequence(rng, 4, lay, types);
    const std::vector<double> all = model.marginals(seq), path = model.path_marginals(seq, seq.labels);
    for (size_t t = 0; t < seq.size(); ++t) EXPECT_EQ(path[t], all[t * lay.labels() + seq.labels[t]]);
  }
}

TEST(CrfTest, DecodingWithARestrictionGivesTheSameLabelsAndConfidences) {
  std::mt19937 rng(9);
  const Layout lay = full_layout();
  for (double scale : {1.0, 300.0}) {  // 300: the safe state potentials
    std::vector<double> w = random_weights(rng, lay.size());
    for (size_t f = 0; f < lay.states(); ++f) w[f] *= scale;
    const Model model(lay, w);
    for (std::vector<uint16_t> types : {std::vector<uint16_t>{0}, std::vector<uint16_t>{1}, std::vector<uint16_t>{0, 1}}) {
      const Restriction r = model.restrict_to(types);
      for (size_t n : {1, 3, 6}) {
        const Sequence seq = random_sequence(rng, n, lay, types);
        const Decoded plain = model.decode(seq, true), restricted = model.decode(seq, true, &r);
        EXPECT_EQ(plain.labels, restricted.labels);
        ASSERT_EQ(plain.confidence.size(), restricted.confidence.size());
        for (size_t t = 0; t < plain.confidence.size(); ++t)
          EXPECT_NEAR(plain.confidence[t], restricted.confidence[t], 1e-12);
        if (!plain.confidence.empty()) {
          const std::vector<double> path = model.path_marginals(seq, plain.labels);
          for (size_t t = 0; t < n; ++t) EXPECT_NEAR(plain.confidence[t], path[t], 1e-12);
        }
      }
    }
  }
}

TEST(CrfTest, ViterbiLogPartitionAndMarginalsMatchBruteForce) {
  std::mt19937 rng(11);
  const Layout lay = full_layout();
  for (int trial = 0; trial < 14; ++trial) {
    const size_t n = 1 + trial % 4;
    std::vector<double> w = random_weights(rng, lay.size());
    if (trial >= 12)  // state weights so large that exp() of a token's score leaves the range of doubles
      for (size_t f = 0; f < lay.states(); ++f) w[f] *= 300.0;
    const Model model(lay, w);
    const Sequence seq = random_sequence(rng, n, lay, trial % 3 == 2 ? std::vector<uint16_t>{1} : std::vector<uint16_t>{});
    std::vector<std::pair<double, std::vector<uint16_t>>> paths;
    for_each_labelling(lay, n, seq.types, [&](const std::vector<uint16_t>& y) { paths.push_back({path_score(lay, w, seq, y), y}); });
    double best = -INFINITY;
    std::vector<uint16_t> argmax;
    for (const auto& [s, y] : paths)
      if (s > best) best = s, argmax = y;
    double z = 0.0;  // sum of exp(s - best)
    std::vector<double> marg(n * lay.labels(), 0.0);
    for (const auto& [s, y] : paths) {
      z += std::exp(s - best);
      for (size_t t = 0; t < n; ++t) marg[t * lay.labels() + y[t]] += std::exp(s - best);
    }
    EXPECT_EQ(model.viterbi(seq), argmax) << "trial " << trial;
    EXPECT_NEAR(model.log_partition(seq), best + std::log(z), 1e-9 * std::max(1.0, std::fabs(best)));
    const std::vector<double> m = model.marginals(seq);
    for (size_t i = 0; i < marg.size(); ++i) EXPECT_NEAR(m[i], marg[i] / z, 1e-9);
  }
}

TEST(CrfTest, ToyTaskLearntExactly) {
  // Attribute 0: a filler word; 1: starts a two-word type-0 span, 2 ends it; 3: a one-word type-1 span.
  auto seq = [](std::vector<uint32_t> words, std::vector<uint16_t> labels) {
    Sequence s;
    for (uint32_t w : words) {
      s.attrs.push_back(w);
      s.attrs.push_back(4);  // a bias attribute on every token
      s.ends.push_back(static_cast<uint32_t>(s.attrs.size()));
    }
    s.labels = std::move(labels);
    return s;
  };
  const uint16_t O = 0, B0 = label_of(0, kB), L0 = label_of(0, kL), U1 = label_of(1, kU);
  std::vector<Sequence> data = {
      seq({0, 1, 2, 0}, {O, B0, L0, O}), seq({3, 0, 0}, {U1, O, O}), seq({0, 3}, {O, U1}),
      seq({1, 2, 3}, {B0, L0, U1}),     seq({0, 0, 0}, {O, O, O}),  seq({3, 1, 2}, {U1, B0, L0}),
  };
  TrainOptions options;
  options.c1 = 0.0;
  options.c2 = 0.01;
  const Model model = Model::train(data, 2, 5, options);
  for (const Sequence& s : data) EXPECT_EQ(model.viterbi(s), s.labels);
  Sequence unseen = seq({0, 3, 1, 2, 0, 3}, {});
  EXPECT_EQ(model.viterbi(unseen), (std::vector<uint16_t>{O, U1, B0, L0, O, U1}));
}

TEST(CrfTest, EncodingRoundTripsAndRejectsGarbage) {
  std::mt19937 rng(5);
  const Layout lay = full_layout();
  const Model model(lay, random_weights(rng, lay.size()));
  ByteWriter out;
  model.write(out);
  const std::string bytes = out.take();
  ByteReader in(bytes);
  parley::Result<Model> back = Model::read(in);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(in.at_end());
  EXPECT_EQ(back->weights(), model.weights());
  for (size_t cut : {size_t{0}, size_t{3}, size_t{12}, bytes.size() / 2, bytes.size() - 1}) {
    ByteReader part(std::string_view(bytes).substr(0, cut));
    EXPECT_FALSE(Model::read(part).ok()) << cut;
  }
  std::string garbage = bytes;
  for (size_t i = 16; i < garbage.size(); i += 7) garbage[i] = static_cast<char>(0xff);
  ByteReader bad(garbage);
  EXPECT_FALSE(Model::read(bad).ok());
}

// ---- CrfEntityExtractor: the CRF on words --------------------------------------------------------

namespace {

using parley::project::Config;
using parley::project::Domain;
using parley::project::NluData;
using parley::nlu::testing::annotated;
using parley::nlu::testing::domain_for;

const char* kCities[] = {"paris", "berlin", "london", "madrid", "rome", "vienna", "prague", "lisbon",
                         "dublin", "oslo", "new york", "san francisco", "tokyo", "cairo", "lima", "sydney"};

// Flight requests with a destination city in several sentence frames, plus greetings.
NluData flight_data() {
  const char* frames[] = {"i want to fly to [%](city)", "book a flight to [%](city) please",
                          "fly me to [%](city) tomorrow", "is there a flight to [%](city)",
                          "i need a ticket to [%](city) for friday"};
  NluData data;
  int i = 0;
  for (const char* city : kCities)
    for (int f = 0; f < 2; ++f) {
      std::string text = frames[(i++) % 5];
      text.replace(text.find('%'), 1, city);
      data.examples.push_back(annotated("book_flight", text));
    }
  for (const char* g : {"hello", "hi there", "good morning", "hey", "hello to you", "hi to all of you"})
    data.examples.push_back(annotated("greet", g));
  return data;
}

Config crf_config() {
  Config c;
  c.entity_learner_component = "CRFEntityExtractor";
  return c;
}

CrfEntityExtractor train_or_die(const NluData& data, const Domain& domain) {
  auto x = CrfEntityExtractor::train(data, domain, crf_config());
  EXPECT_TRUE(x.ok()) << x.status().to_string();
  return std::move(x.value());
}

}  // namespace

TEST(CrfExtractorTest, FindsUnseenValuesByContext) {
  const NluData data = flight_data();
  const CrfEntityExtractor x = train_or_die(data, domain_for(data, {"city"}));
  const std::pair<std::string, std::string> cases[] = {{"i want to fly to zanzibar", "zanzibar"},
                                                       {"book a flight to kathmandu please", "kathmandu"},
                                                       {"is there a flight to ouagadougou", "ouagadougou"}};
  for (const auto& [text, city] : cases) {
    const auto found = x.extract(text, "book_flight");
    ASSERT_EQ(found.size(), 1u) << text;
    EXPECT_EQ(found[0].entity, "city");
    EXPECT_EQ(found[0].start, text.find(city));
    EXPECT_EQ(found[0].end, text.find(city) + city.size());
    EXPECT_EQ(found[0].text, city);
    EXPECT_EQ(found[0].value, city);
    EXPECT_EQ(found[0].extractor, "CRFEntityExtractor");
    EXPECT_GT(found[0].confidence, 0.5);
    EXPECT_LE(found[0].confidence, 1.0);
  }
  EXPECT_TRUE(x.extract("hello to you", "greet").empty());  // greet never has an entity
}

TEST(CrfExtractorTest, OffsetsCoverTokensInTextWithPunctuationAndSpaces) {
  const NluData data = flight_data();
  const CrfEntityExtractor x = train_or_die(data, domain_for(data, {"city"}));
  const std::string text = "I want to   fly to  New   York, please!";
  const auto found = x.extract(text, "book_flight");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].start, text.find("New"));
  EXPECT_EQ(found[0].end, text.find(','));
  EXPECT_EQ(found[0].text, "New   York");
}

TEST(CrfExtractorTest, LearnsRolesAndGroups) {
  NluData data;
  const char* pairs[][2] = {{"berlin", "paris"}, {"london", "rome"}, {"madrid", "oslo"}, {"vienna", "lima"},
                            {"prague", "cairo"}, {"dublin", "tokyo"}, {"lisbon", "sydney"}, {"paris", "london"}};
  for (const auto& p : pairs) {
    for (const char* frame : {"fly from [%1]{\"entity\": \"city\", \"role\": \"from\"} to [%2]{\"entity\": \"city\", \"role\": \"to\"}",
                              "to [%2]{\"entity\": \"city\", \"role\": \"to\"} from [%1]{\"entity\": \"city\", \"role\": \"from\"} please"}) {
      std::string text = frame;
      text.replace(text.find("%1"), 2, p[0]);
      text.replace(text.find("%2"), 2, p[1]);
      data.examples.push_back(annotated("book_flight", text));
    }
  }
  for (const char* sizes : {"small", "large", "medium", "big"})
    data.examples.push_back(annotated(
        "order", std::string("a [") + sizes + "]{\"entity\": \"size\", \"group\": \"1\"} pizza and a [" +
                     (std::string(sizes) == "small" ? "large" : "small") + "]{\"entity\": \"size\", \"group\": \"2\"} coke"));
  const CrfEntityExtractor x = train_or_die(data, domain_for(data, {"city", "size"}));
  const auto found = x.extract("fly from quito to hanoi", "book_flight");
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].text, "quito");
  EXPECT_EQ(found[0].role, "from");
  EXPECT_EQ(found[1].text, "hanoi");
  EXPECT_EQ(found[1].role, "to");
  const auto order = x.extract("a large pizza and a small coke", "order");
  ASSERT_EQ(order.size(), 2u);
  EXPECT_EQ(order[0].group, "1");
  EXPECT_EQ(order[1].group, "2");
  EXPECT_FALSE(order[0].role.has_value());
}

TEST(CrfExtractorTest, EntitiesTheDomainDoesNotDeclareAreNotLearnt) {
  const NluData data = flight_data();
  const CrfEntityExtractor x = train_or_die(data, domain_for(data, {}));
  EXPECT_TRUE(x.empty());
  EXPECT_TRUE(x.extract("i want to fly to paris", "book_flight").empty());
  auto back = CrfEntityExtractor::from_bytes(x.to_bytes());
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->empty());
}

TEST(CrfExtractorTest, TrainingIsDeterministic) {
  const NluData data = flight_data();
  const Domain domain = domain_for(data, {"city"});
  EXPECT_EQ(train_or_die(data, domain).to_bytes(), train_or_die(data, domain).to_bytes());
}

TEST(CrfExtractorTest, EncodingRoundTripsAndRejectsGarbage) {
  const NluData data = flight_data();
  const CrfEntityExtractor x = train_or_die(data, domain_for(data, {"city"}));
  const std::string bytes = x.to_bytes();
  auto back = CrfEntityExtractor::from_bytes(bytes);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->to_bytes(), bytes);
  for (const char* text : {"i want to fly to zanzibar", "fly me to new york tomorrow", "hello", ""}) {
    const auto a = x.extract(text, "book_flight"), b = back->extract(text, "book_flight");
    ASSERT_EQ(a.size(), b.size()) << text;
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].start, b[i].start);
      EXPECT_EQ(a[i].end, b[i].end);
      EXPECT_EQ(a[i].confidence, b[i].confidence);
    }
  }
  for (size_t cut = 0; cut < bytes.size(); cut += 1 + bytes.size() / 61)
    EXPECT_FALSE(CrfEntityExtractor::from_bytes(std::string_view(bytes).substr(0, cut)).ok()) << cut;
  std::mt19937 rng(9);
  for (int trial = 0; trial < 50; ++trial) {
    std::string garbage = bytes;
    for (int k = 0; k < 8; ++k) garbage[rng() % garbage.size()] = static_cast<char>(rng());
    auto r = CrfEntityExtractor::from_bytes(garbage);  // may decode (weights changed); must not crash
    if (r.ok()) (void)r->extract("i want to fly to zanzibar", "book_flight");
  }
  EXPECT_FALSE(CrfEntityExtractor::from_bytes("").ok());
  EXPECT_FALSE(CrfEntityExtractor::from_bytes(std::string(100, '\xff')).ok());
}

TEST(CrfExtractorTest, LookupTableMembershipIsAnAttribute) {
  NluData data;
  const char* known[] = {"paris", "berlin", "london", "madrid", "rome", "vienna", "new york", "san francisco"};
  for (const char* city : known) data.examples.push_back(annotated("inform", std::string("[") + city + "](city)"));
  for (const char* word : {"yes", "no", "maybe", "sure", "ok", "never", "again", "thanks"})
    data.examples.push_back(annotated("inform", word));
  parley::project::LookupTable cities;
  cities.name = "city";
  cities.elements.assign(std::begin(known), std::end(known));
  cities.elements.push_back("zanzibar");
  cities.elements.push_back("addis ababa");
  data.lookups.push_back(cities);
  const CrfEntityExtractor x = train_or_die(data, domain_for(data, {"city"}));
  ASSERT_EQ(x.extract("zanzibar", "inform").size(), 1u);
  const auto two_words = x.extract("addis ababa", "inform");
  ASSERT_EQ(two_words.size(), 1u);
  EXPECT_EQ(two_words[0].text, "addis ababa");
  EXPECT_TRUE(x.extract("later", "inform").empty());
}
