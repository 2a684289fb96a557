// A linear-chain CRF over BILOU tags and sparse binary token attributes: training (negative
// log-likelihood, L2 plus L1 through liblbfgs's OWL-QN), Viterbi decoding and per-token marginals.
// Knows nothing of words: crf_features.h turns tokens into attribute ids, crf_extractor.h turns
// tags into entities.
//
// Labels: 0 is O; entity type k has B = 1+4k, I = 2+4k, L = 3+4k, U = 4+4k. BILOU is always used
// internally (also when a project asks for BIO): it only adds labels, never loses a span.
// Hard constraints: B_k and I_k go on only to I_k or L_k; O, L_*, U_* and the start go on only to
// O, B_* or U_* (or the end). Transition scores are factorised so that forward-backward and Viterbi
// cost O(T * L), not O(T * L^2):
//   closed label i -> opening label j:  W1[i][shape(j)] + W2[shape(i)][j]
//       (shapes of j: O, B, U, end; shapes of i: start, O, L, U)
//   inside a span of type k:            In[k][BI | BL | II | IL]
// so each label learns which kind of label tends to follow and precede it, without a weight per
// label pair. State weights exist only for (attribute, label) pairs seen in training (crfsuite's
// default), so scoring a token touches tens of weights, not attributes x labels.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/bytes.h"

namespace parley::nlu::crf {

enum Shape : uint8_t { kO = 0, kB = 1, kI = 2, kL = 3, kU = 4 };

inline int label_of(int type, Shape s) { return s == kO ? 0 : 1 + 4 * type + (s - 1); }
inline Shape shape_of(int label) { return label == 0 ? kO : static_cast<Shape>(1 + (label - 1) % 4); }
inline int type_of(int label) { return (label - 1) / 4; }  // for labels other than O

// One token sequence: token t has the attribute ids attrs[begin(t) .. ends[t]). `labels` holds the
// gold labels when the sequence is used for training. `types`, when not empty, are the only entity
// types (ascending) its labels may use: the lattice then covers just those, which is what makes
// training on many types fast when each message can only hold a few of them (say, by intent).
struct Sequence {
  std::vector<uint32_t> attrs;
  std::vector<uint32_t> ends;
  std::vector<uint16_t> labels;
  std::vector<uint16_t> types;
  size_t size() const { return ends.size(); }
  uint32_t begin(size_t t) const { return t == 0 ? 0 : ends[t - 1]; }
};

struct TrainOptions {
  int max_iterations = 100;
  double c1 = 0.1;  // L1 (OWL-QN); 0 turns it off
  double c2 = 0.1;  // L2: adds c2 * |w|^2 to the loss
  int threads = 2;  // gradient threads; results depend on this number but not on timing
};

// Which weights exist: the state features (attribute, label) and the transition blocks.
struct Layout {
  int num_types = 0;
  std::vector<uint32_t> attr_begin;  // attribute a's features: attr_label[attr_begin[a] .. attr_begin[a+1])
  std::vector<uint16_t> attr_label;  // sorted within an attribute
  // Derived (index_runs): attribute a's features in runs of one type (O is a run of its own):
  // run r starts at feature runs[r], for r in [run_begin[a], run_begin[a+1]).
  std::vector<uint32_t> run_begin, runs;

  int labels() const { return 1 + 4 * num_types; }
  int closed() const { return 1 + 2 * num_types; }  // O, L_k, U_k (also the count of O, B_k, U_k)
  size_t states() const { return attr_label.size(); }
  size_t w1() const { return states(); }                                  // [closed][4]
  size_t w2() const { return w1() + 4 * static_cast<size_t>(closed()); }  // [4][opening]
  size_t inner() const { return w2() + 4 * static_cast<size_t>(closed()); }  // [type][4]
  size_t size() const { return inner() + 4 * static_cast<size_t>(num_types); }
  uint32_t attributes() const { return attr_begin.empty() ? 0 : static_cast<uint32_t>(attr_begin.size() - 1); }
};

// Fills layout.run_begin and runs from attr_begin and attr_label.
void index_runs(Layout& layout);

// The layout of the (attribute, label) pairs that occur in `data`, with `num_attrs` attributes.
Layout make_layout(const std::vector<Sequence>& data, int num_types, uint32_t num_attrs);

// The weights that score label `prev` followed by `next` (-1: the start / the end), written to
// `out`; returns how many (0 when the transition is not allowed).
int transition_weights(const Layout& layout, int prev, int next, size_t out[2]);

// Negative log-likelihood of `data` under weights `w` (no regularisation); adds its gradient to
// `grad` when it is not null. For training and for checking the gradient.
double negative_log_likelihood(const Layout& layout, const std::vector<Sequence>& data, const double* w,
                               double* grad);

// The unnormalised score of labels `y` for `seq` (state plus transitions); for tests.
double path_score(const Layout& layout, const std::vector<double>& w, const Sequence& seq,
                  const std::vector<uint16_t>& y);

// Weights rearranged for the lattice (see crf_lattice.h): exp() of them for forward-backward, or
// as they are for Viterbi; computed once per weight vector.
struct Lattice;

struct BlockWeights {
  std::vector<double> states;  // as the state block (exp only)
  std::vector<double> w1;      // [closed][4], as W1
  std::vector<double> w2t;     // [opening][4 rows]: W2 transposed
  std::vector<double> in;      // [type][4], as In
};

// The model cut down to some of its types (those one intent's examples annotate), labels
// renumbered over those types in order: decoding with it visits no feature of another type.
struct Restriction {
  std::vector<int> types;  // its type k -> the model's type
  Layout layout;           // the attributes' features of those types, labels 0 .. 4 * types.size()
  BlockWeights exp;        // exp() of their state weights, and the types' transition blocks
};

struct Decoded {
  std::vector<uint16_t> labels;
  std::vector<double> confidence;  // per token; empty when not asked for or every label is O
};

class Model {
 public:
  Model() = default;
  // Trains on `data` (every sequence labelled, attributes below `num_attrs`). Deterministic.
  static Model train(const std::vector<Sequence>& data, int num_types, uint32_t num_attrs,
                     const TrainOptions& options);
  // A model with given layout and weights (tests).
  Model(Layout layout, std::vector<double> weights);

  // The best label sequence. Attribute ids outside the model are ignored. Thread-safe.
  std::vector<uint16_t> viterbi(const Sequence& seq) const;
  // The best label sequence and, with `confidence` and unless every label is O, the marginal of
  // each of its labels (path_marginals), from one set of state potentials. Thread-safe.
  // With a restriction (from restrict_to(seq.types)), faster: the same result.
  Decoded decode(const Sequence& seq, bool confidence, const Restriction* restriction = nullptr) const;
  // The restriction to `types` (sorted model types, as Sequence::types).
  Restriction restrict_to(const std::vector<uint16_t>& types) const;
  // P(label j at token t), as marginals[t * labels() + j]. Thread-safe.
  std::vector<double> marginals(const Sequence& seq) const;
  // P(label y[t] at token t) for each t: marginals(seq)[t * labels() + y[t]] without the full table
  // (0 for a label the sequence's types rule out). Thread-safe.
  std::vector<double> path_marginals(const Sequence& seq, const std::vector<uint16_t>& y) const;
  // log Z(x), the log of the sum of exp(path_score) over all allowed label sequences.
  double log_partition(const Sequence& seq) const;

  int num_types() const { return layout_.num_types; }
  int labels() const { return layout_.labels(); }
  const Layout& layout() const { return layout_; }
  const std::vector<double>& weights() const { return w_; }
  size_t nonzero_weights() const;

  // Versioned little-endian encoding; read() rejects truncated or inconsistent input.
  void write(ByteWriter& out) const;
  static Result<Model> read(ByteReader& in);

 private:
  // Fills lat (chain, alpha, beta) for seq with the exp() weights.
  void forward_backward(const Sequence& seq, Lattice& lat) const;

  Layout layout_;
  std::vector<double> w_;
  BlockWeights exp_;
};

}  // namespace parley::nlu::crf
