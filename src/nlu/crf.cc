// The CRF's decoding side (nlu/crf.h): which weights score a transition, path scores, Viterbi
// in O(T * L) through the factorised transitions, marginals and log Z. Forward-backward:
// crf_lattice.cc; training and encoding: crf_train.cc.
#include "nlu/crf.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "nlu/crf_lattice.h"

namespace parley::nlu::crf {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

}  // namespace

int transition_weights(const Layout& lay, int prev, int next, size_t out[2]) {
  const int C = lay.closed();
  const bool next_end = next < 0;
  const Shape sn = next_end ? kO : shape_of(next);
  const bool next_opens = !next_end && (sn == kO || sn == kB || sn == kU);
  if (prev < 0) {
    if (!next_opens) return 0;
    out[0] = lay.w2() + opening_index(next);
    return 1;
  }
  const Shape sp = shape_of(prev);
  if (sp == kB || sp == kI) {
    if (next_end || (sn != kI && sn != kL) || type_of(next) != type_of(prev)) return 0;
    const int pair = sp == kB ? (sn == kI ? kBI : kBL) : (sn == kI ? kII : kIL);
    out[0] = lay.inner() + 4 * type_of(prev) + pair;
    return 1;
  }
  const int c = closed_index(prev);
  if (next_end) {
    out[0] = lay.w1() + 4 * c + kEndCol;
    return 1;
  }
  if (!next_opens) return 0;
  const int o = opening_index(next);
  out[0] = lay.w1() + 4 * c + opening_col(o);
  out[1] = lay.w2() + static_cast<size_t>(closed_row(c)) * C + o;
  return 2;
}

double path_score(const Layout& lay, const std::vector<double>& w, const Sequence& seq,
                  const std::vector<uint16_t>& y) {
  double score = 0.0;
  size_t idx[2];
  for (size_t t = 0; t <= seq.size(); ++t) {
    const int prev = t == 0 ? -1 : y[t - 1], next = t == seq.size() ? -1 : y[t];
    const int n = transition_weights(lay, prev, next, idx);
    if (n == 0) return kNegInf;
    for (int i = 0; i < n; ++i) score += w[idx[i]];
    if (t == seq.size()) break;
    for (uint32_t k = seq.begin(t); k < seq.ends[t]; ++k) {
      const long f = find_state(lay, seq.attrs[k], y[t]);
      if (f >= 0) score += w[f];
    }
  }
  return score;
}

std::vector<uint16_t> Model::viterbi(const Sequence& seq) const {
  const size_t T = seq.size();
  if (T == 0) return {};
  // Per-thread buffers: a parse should not allocate the lattice again for every message.
  thread_local Chain chain;
  thread_local std::vector<double> delta;
  thread_local std::vector<uint16_t> back;
  make_chain(layout_, seq, log_, chain);
  const int L = chain.labels(), K = chain.K, C = 1 + 2 * K;
  state_scores(layout_, chain, w_.data(), seq, delta);
  back.assign(T * L, 0);
  const double* w1 = chain.blocks.w1.data();
  const double* w2t = chain.blocks.w2t.data();
  const double* win = chain.blocks.in.data();
  for (int j = 0; j < L; ++j)
    if (shape_of(j) == kI || shape_of(j) == kL) delta[j] = kNegInf;
  for (int o = 0; o < C; ++o) delta[opening_label(o)] += w2t[4 * o];
  for (size_t t = 1; t < T; ++t) {
    const double* prev = delta.data() + (t - 1) * L;
    double* cur = delta.data() + t * L;
    uint16_t* bp = back.data() + t * L;
    double best[4][3];
    uint16_t arg[4][3] = {};
    for (auto& row : best) row[0] = row[1] = row[2] = kNegInf;
    for (int c = 0; c < C; ++c) {
      const int i = closed_label(c), r = closed_row(c);
      for (int col = 0; col < 3; ++col) {
        const double v = prev[i] + w1[4 * c + col];
        if (v > best[r][col]) best[r][col] = v, arg[r][col] = static_cast<uint16_t>(i);
      }
    }
    for (int o = 0; o < C; ++o) {
      const int j = opening_label(o), col = opening_col(o);
      double top = kNegInf;
      for (int r = 1; r < 4; ++r) {
        const double v = best[r][col] + w2t[4 * o + r];
        if (v > top) top = v, bp[j] = arg[r][col];
      }
      cur[j] += top;
    }
    for (int k = 0; k < K; ++k) {
      const double b = prev[1 + 4 * k], i = prev[2 + 4 * k];
      const double* in = win + 4 * k;
      const bool i_from_b = b + in[kBI] >= i + in[kII], l_from_b = b + in[kBL] >= i + in[kIL];
      cur[2 + 4 * k] += i_from_b ? b + in[kBI] : i + in[kII];
      bp[2 + 4 * k] = static_cast<uint16_t>(i_from_b ? 1 + 4 * k : 2 + 4 * k);
      cur[3 + 4 * k] += l_from_b ? b + in[kBL] : i + in[kIL];
      bp[3 + 4 * k] = static_cast<uint16_t>(l_from_b ? 1 + 4 * k : 2 + 4 * k);
    }
  }
  const double* last = delta.data() + (T - 1) * L;
  double top = kNegInf;
  uint16_t label = 0;
  for (int c = 0; c < C; ++c) {
    const double v = last[closed_label(c)] + w1[4 * c + kEndCol];
    if (v > top) top = v, label = static_cast<uint16_t>(closed_label(c));
  }
  std::vector<uint16_t> y(T);
  for (size_t t = T; t-- > 0;) {
    y[t] = static_cast<uint16_t>(chain.model_label(label));
    label = back[t * L + label];
  }
  return y;
}

void Model::forward_backward(const Sequence& seq, Lattice& lat) const {
  make_chain(layout_, seq, exp_, lat.chain);
  forward(layout_, exp_, seq, lat);
  backward(layout_, exp_, seq, lat, nullptr);
}

std::vector<double> Model::marginals(const Sequence& seq) const {
  Lattice lat;
  forward_backward(seq, lat);
  const int L = labels(), CL = lat.chain.labels();
  std::vector<double> m(seq.size() * L, 0.0);
  for (size_t t = 0; t < seq.size(); ++t)
    for (int j = 0; j < CL; ++j) m[t * L + lat.chain.model_label(j)] = lat.alpha[t * CL + j] * lat.beta[t * CL + j];
  return m;
}

std::vector<double> Model::path_marginals(const Sequence& seq, const std::vector<uint16_t>& y) const {
  thread_local Lattice lat;  // reused: a parse should not allocate the lattice for every message
  forward_backward(seq, lat);
  const size_t CL = static_cast<size_t>(lat.chain.labels());
  std::vector<double> m(seq.size(), 0.0);
  for (size_t t = 0; t < seq.size(); ++t)
    if (const int j = lat.chain.local[y[t]]; j >= 0) m[t] = lat.alpha[t * CL + j] * lat.beta[t * CL + j];
  return m;
}

double Model::log_partition(const Sequence& seq) const {
  Lattice lat;
  make_chain(layout_, seq, exp_, lat.chain);
  forward(layout_, exp_, seq, lat);
  return lat.log_z;
}

}  // namespace parley::nlu::crf
