// Internals of the CRF (nlu/crf.h) shared by crf.cc (Viterbi, scores), crf_lattice.cc
// (forward-backward) and crf_train.cc (training): how labels map to rows and columns of the
// factorised transition blocks, the per-sequence chain of allowed types, and the lattice buffers.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "nlu/crf.h"

namespace parley::nlu::crf {

// Closed labels (those that may end a span: O, L_k, U_k) are numbered c = 0 (O), 1+2k (L_k),
// 2+2k (U_k); opening labels (those that may follow a closed one: O, B_k, U_k) o = 0, 1+2k (B_k),
// 2+2k (U_k). W1 is [closed c][column] with columns O, B, U, end; W2 is [row][opening o] with rows
// start, O, L, U; In is [type][BI, BL, II, IL].
enum InnerPair { kBI = 0, kBL = 1, kII = 2, kIL = 3 };
constexpr int kEndCol = 3;

inline int closed_label(int c) { return c == 0 ? 0 : (c % 2 ? 3 + 4 * (c / 2) : 4 * (c / 2)); }
inline int opening_label(int o) { return o == 0 ? 0 : (o % 2 ? 1 + 4 * (o / 2) : 4 * (o / 2)); }
inline int closed_row(int c) { return c == 0 ? 1 : (c % 2 ? 2 : 3); }
inline int opening_col(int o) { return o == 0 ? 0 : (o % 2 ? 1 : 2); }
inline int closed_index(int label) { return label == 0 ? 0 : 2 * type_of(label) + (shape_of(label) == kL ? 1 : 2); }
inline int opening_index(int label) { return label == 0 ? 0 : 2 * type_of(label) + (shape_of(label) == kB ? 1 : 2); }

// The transition blocks of a set of types in the lattice's order: W1 [closed][4], W2 transposed
// [opening][4 rows] (so one label's rows are adjacent), In [type][4]. exp() of the weights for
// forward-backward, the weights themselves for Viterbi.
BlockWeights block_weights(const Layout& lay, const double* w, bool exp);

// The part of the model one sequence's lattice covers: all types, or those the sequence allows.
// Chain labels follow the same numbering as model labels, over the chain's types.
struct Chain {
  int K = 0;
  std::vector<int> types;      // chain type -> model type
  std::vector<int16_t> local;  // model label -> chain label, -1 when left out
  bool identity = false;       // the layout's labels are the chain's (all types in order, or a Restriction)
  BlockWeights blocks;         // the chain's transition blocks, gathered from the model's
  int labels() const { return 1 + 4 * K; }
  int model_label(int j) const { return j == 0 ? 0 : 4 * types[type_of(j)] + 1 + (j - 1) % 4; }
};

// Calls f(feature index, chain label) for each state feature of attribute `a` whose label the
// chain covers. A chain of some of the types walks the attribute's runs of one type and skips
// those of other types, so that dense attributes (bias, BOS) cost O(their types), not O(labels).
template <typename F>
inline void for_each_feature(const Layout& lay, const Chain& ch, uint32_t a, F&& f) {
  const uint32_t end = lay.attr_begin[a + 1];
  const uint16_t* labels = lay.attr_label.data();
  if (ch.identity) {  // the chain's labels are the model's
    for (uint32_t i = lay.attr_begin[a]; i < end; ++i) f(i, static_cast<int>(labels[i]));
    return;
  }
  const uint32_t last_run = lay.run_begin[a + 1];
  for (uint32_t r = lay.run_begin[a]; r < last_run; ++r) {
    const uint32_t first = lay.runs[r], stop = r + 1 < last_run ? lay.runs[r + 1] : end;
    const int j0 = ch.local[labels[first]];
    if (j0 < 0) continue;
    for (uint32_t i = first; i < stop; ++i) f(i, j0 + (labels[i] - labels[first]));
  }
}

// Sets up `chain` for `seq` (its types, or all), gathering transition blocks from `model`.
void make_chain(const Layout& lay, const Sequence& seq, const BlockWeights& model, Chain& chain);
// The chain of a restriction (whose layout's labels are the chain's labels).
void restricted_chain(const Layout& model, const Restriction& restriction, Chain& chain);
// Only the chain's types and label map (no blocks).
void chain_types(const Layout& lay, const Sequence& seq, Chain& chain);

// Features [first, first + count) of the state block, chain label = attr_label[f] + shift.
struct FeatureRun {
  uint32_t first;
  uint16_t count;
  int16_t shift;
};

// A training sequence resolved once against the layout, so that an evaluation of the objective
// neither walks the runs of types outside the chain nor searches for the gold states: token t's
// state features are runs[run_ends[t-1] .. run_ends[t]) (in the order for_each_feature visits
// them, so sums come out the same), and `gold` lists the weights of the gold path as sequence_nll
// adds them. About 8 bytes a run and 4 a gold weight.
struct PreparedSequence {
  std::vector<FeatureRun> runs;
  std::vector<uint32_t> run_ends;
  std::vector<uint32_t> gold;
};
PreparedSequence prepare(const Layout& lay, const Sequence& seq);

// Scaled forward-backward buffers for one sequence, [t * chain labels + j]; reused across sequences.
struct Lattice {
  Chain chain;
  std::vector<double> psi, alpha, beta;  // psi: exp(state scores), scaled
  std::vector<double> scale;             // T + 1 normalisers; the last one is the end transition
  std::vector<double> tgrad;             // expected transition counts in the chain's block order
  std::vector<double> row;               // one token's scratch row
  double log_z = 0.0;
};

// Fills lat.psi for seq over lat.chain (set up with exp() blocks): products of exp(weights), or
// with `safe` exp(sum - the token's largest sum); returns the log of what the safe form took out.
double state_potentials(const Layout& lay, const BlockWeights& e, const Sequence& seq, bool safe, Lattice& lat);
// The scaled forward recursion over lat.psi into alpha, scale and log_z (without what the safe form
// of psi took out); false when a normaliser leaves the safe range.
bool forward_pass(const Sequence& seq, Lattice& lat);
// Fills lat.psi, alpha, scale and log_z; lat.chain must be set up with exp() blocks.
void forward(const Layout& lay, const BlockWeights& e, const Sequence& seq, Lattice& lat);
// Fills lat.beta; adds the expected count of every weight to `grad` unless it is null.
void backward(const Layout& lay, const BlockWeights& e, const Sequence& seq, Lattice& lat, double* grad);
// -log p(seq.labels | seq); subtracts the observed counts from and adds the expected ones to `grad`.
double sequence_nll(const Layout& lay, const BlockWeights& e, const double* w, const Sequence& seq,
                    Lattice& lat, double* grad);
// The same from prepare(lay, seq): equal results, faster.
double sequence_nll(const Layout& lay, const BlockWeights& e, const double* w, const Sequence& seq,
                    const PreparedSequence& prep, Lattice& lat, double* grad);
// The index of weight (a, label) in the state block, or -1 when the pair was not seen in training.
long find_state(const Layout& lay, uint32_t a, int label);

}  // namespace parley::nlu::crf
