// Internals of the CRF (nlu/crf.h) shared by crf.cc (lattice) and crf_train.cc (training): how
// labels map to rows and columns of the factorised transition blocks, and the lattice buffers.
#pragma once

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

// Scaled forward-backward buffers for one sequence, [t * L + j]; reused across sequences.
struct Lattice {
  std::vector<double> scores, psi, alpha, beta;
  std::vector<double> scale;  // T + 1 normalisers; the last one is the end transition
  double log_z = 0.0;
};

ExpTransitions exp_transitions(const Layout& lay, const double* w);
// scores[t * L + j]: the sum of the state weights of token t's attributes for label j.
void state_scores(const Layout& lay, const double* w, const Sequence& seq, std::vector<double>& scores);
void forward(const Layout& lay, const ExpTransitions& e, const std::vector<double>& scores, Lattice& lat);
// Fills lat.beta; adds the expected count of every weight to `grad` unless it is null.
void backward(const Layout& lay, const ExpTransitions& e, const Sequence& seq, Lattice& lat, double* grad);
// -log p(seq.labels | seq); subtracts the observed counts from and adds the expected ones to `grad`.
double sequence_nll(const Layout& lay, const ExpTransitions& e, const double* w, const Sequence& seq,
                    Lattice& lat, double* grad);

}  // namespace parley::nlu::crf
