// The linear-chain CRF (nlu/crf.h) against brute force on tiny problems: gradient against finite
// differences, log Z, Viterbi and marginals against enumeration, a toy task learnt exactly.
#include "nlu/crf.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace parley::nlu;
using namespace parley::nlu::crf;

namespace {

constexpr int kTypes = 2;
constexpr uint32_t kAttrs = 6;

bool allowed(const Layout& lay, const std::vector<uint16_t>& y) {
  size_t idx[2];
  for (size_t t = 0; t <= y.size(); ++t)
    if (transition_weights(lay, t == 0 ? -1 : y[t - 1], t == y.size() ? -1 : y[t], idx) == 0) return false;
  return true;
}

// A random sequence of `n` tokens with 1-3 attributes each and an allowed random labelling.
Sequence random_sequence(std::mt19937& rng, size_t n, const Layout& lay) {
  Sequence s;
  for (size_t t = 0; t < n; ++t) {
    const int count = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < count; ++k) s.attrs.push_back(static_cast<uint32_t>(rng() % kAttrs));
    s.ends.push_back(static_cast<uint32_t>(s.attrs.size()));
  }
  do {
    s.labels.clear();
    for (size_t t = 0; t < n; ++t) s.labels.push_back(static_cast<uint16_t>(rng() % lay.labels()));
  } while (!allowed(lay, s.labels));
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
void for_each_labelling(const Layout& lay, size_t n, F&& f) {
  std::vector<uint16_t> y(n, 0);
  while (true) {
    if (allowed(lay, y)) f(y);
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

TEST(CrfTest, ViterbiLogPartitionAndMarginalsMatchBruteForce) {
  std::mt19937 rng(11);
  const Layout lay = full_layout();
  for (int trial = 0; trial < 12; ++trial) {
    const size_t n = 1 + trial % 4;
    const Model model(lay, random_weights(rng, lay.size()));
    const Sequence seq = random_sequence(rng, n, lay);
    double best = -INFINITY, z = 0.0;
    std::vector<uint16_t> argmax;
    std::vector<double> marg(n * lay.labels(), 0.0);
    for_each_labelling(lay, n, [&](const std::vector<uint16_t>& y) {
      const double s = path_score(lay, model.weights(), seq, y);
      if (s > best) best = s, argmax = y;
      z += std::exp(s);
      for (size_t t = 0; t < n; ++t) marg[t * lay.labels() + y[t]] += std::exp(s);
    });
    EXPECT_EQ(model.viterbi(seq), argmax) << "trial " << trial;
    EXPECT_NEAR(model.log_partition(seq), std::log(z), 1e-9);
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
