// The CRF's lattice (nlu/crf.h): state scores, scaled forward-backward with expected feature counts,
// Viterbi, all in O(T * L) through the factorised transitions. Training and encoding: crf_train.cc.
#include "nlu/crf.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "nlu/crf_lattice.h"

namespace parley::nlu::crf {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// The index of weight (a, label) in the state block, or -1 when the pair was not seen in training.
long find_state(const Layout& lay, uint32_t a, int label) {
  if (a >= lay.attributes()) return -1;
  auto first = lay.attr_label.begin() + lay.attr_begin[a], last = lay.attr_label.begin() + lay.attr_begin[a + 1];
  auto it = std::lower_bound(first, last, static_cast<uint16_t>(label));
  return it != last && *it == label ? static_cast<long>(it - lay.attr_label.begin()) : -1;
}

// agg[row][col] = sum over closed labels i of row `row` of prev[i] * e1[i][col], for cols O, B, U.
void aggregate_closed(int C, const double* e1, const double* prev, double agg[4][3]) {
  for (int r = 0; r < 4; ++r) agg[r][0] = agg[r][1] = agg[r][2] = 0.0;
  for (int c = 0; c < C; ++c) {
    const double p = prev[closed_label(c)];
    const double* row = e1 + 4 * c;
    double* a = agg[closed_row(c)];
    a[0] += p * row[0];
    a[1] += p * row[1];
    a[2] += p * row[2];
  }
}

}  // namespace

ExpTransitions exp_transitions(const Layout& lay, const double* w) {
  ExpTransitions e;
  e.w1.assign(w + lay.w1(), w + lay.w2());
  e.w2.assign(w + lay.w2(), w + lay.inner());
  e.in.assign(w + lay.inner(), w + lay.size());
  for (auto* v : {&e.w1, &e.w2, &e.in})
    for (double& x : *v) x = std::exp(x);
  return e;
}

void state_scores(const Layout& lay, const double* w, const Sequence& seq, std::vector<double>& s) {
  const size_t L = lay.labels();
  s.assign(seq.size() * L, 0.0);
  const uint32_t attrs = lay.attributes();
  for (size_t t = 0; t < seq.size(); ++t) {
    double* row = s.data() + t * L;
    for (uint32_t k = seq.begin(t); k < seq.ends[t]; ++k) {
      const uint32_t a = seq.attrs[k];
      if (a >= attrs) continue;
      for (uint32_t f = lay.attr_begin[a]; f < lay.attr_begin[a + 1]; ++f) row[lay.attr_label[f]] += w[f];
    }
  }
}

void forward(const Layout& lay, const ExpTransitions& e, const std::vector<double>& scores, Lattice& lat) {
  const int L = lay.labels(), C = lay.closed(), K = lay.num_types;
  const size_t T = scores.size() / L;
  lat.psi.resize(T * L);
  lat.alpha.assign(T * L, 0.0);
  lat.scale.assign(T + 1, 0.0);
  double log_z = 0.0;
  for (size_t t = 0; t < T; ++t) {
    const double* s = scores.data() + t * L;
    double* psi = lat.psi.data() + t * L;
    const double shift = *std::max_element(s, s + L);
    for (int j = 0; j < L; ++j) psi[j] = std::exp(s[j] - shift);
    log_z += shift;

    double* cur = lat.alpha.data() + t * L;
    if (t == 0) {
      for (int o = 0; o < C; ++o) cur[opening_label(o)] = e.w2[o];  // row 0: the start
    } else {
      const double* prev = cur - L;
      double agg[4][3];
      aggregate_closed(C, e.w1.data(), prev, agg);
      for (int o = 0; o < C; ++o) {
        const int col = opening_col(o);
        cur[opening_label(o)] = e.w2[C + o] * agg[1][col] + e.w2[2 * C + o] * agg[2][col] + e.w2[3 * C + o] * agg[3][col];
      }
      for (int k = 0; k < K; ++k) {
        const double b = prev[1 + 4 * k], i = prev[2 + 4 * k];
        const double* in = e.in.data() + 4 * k;
        cur[2 + 4 * k] = b * in[kBI] + i * in[kII];
        cur[3 + 4 * k] = b * in[kBL] + i * in[kIL];
      }
    }
    double sum = 0.0;
    for (int j = 0; j < L; ++j) sum += (cur[j] *= psi[j]);
    lat.scale[t] = sum;
    const double inv = 1.0 / sum;
    for (int j = 0; j < L; ++j) cur[j] *= inv;
    log_z += std::log(sum);
  }
  double end = 0.0;
  if (T > 0) {
    const double* last = lat.alpha.data() + (T - 1) * L;
    for (int c = 0; c < C; ++c) end += last[closed_label(c)] * e.w1[4 * c + kEndCol];
  }
  lat.scale[T] = T > 0 ? end : 1.0;
  lat.log_z = log_z + std::log(lat.scale[T]);
}

void backward(const Layout& lay, const ExpTransitions& e, const Sequence& seq, Lattice& lat, double* grad) {
  const int L = lay.labels(), C = lay.closed(), K = lay.num_types;
  const size_t T = lat.scale.size() - 1;
  lat.beta.assign(T * L, 0.0);
  if (T == 0) return;
  double* last = lat.beta.data() + (T - 1) * L;
  for (int c = 0; c < C; ++c) last[closed_label(c)] = e.w1[4 * c + kEndCol] / lat.scale[T];
  std::vector<double> g(L);
  for (size_t t = T - 1; t >= 1; --t) {
    const double* psi = lat.psi.data() + t * L;
    const double* beta = lat.beta.data() + t * L;
    for (int j = 0; j < L; ++j) g[j] = psi[j] * beta[j];
    double bsum[4][3] = {};
    for (int r = 1; r < 4; ++r)
      for (int o = 0; o < C; ++o) bsum[r][opening_col(o)] += e.w2[r * C + o] * g[opening_label(o)];
    const double inv = 1.0 / lat.scale[t];
    const double* alpha = lat.alpha.data() + (t - 1) * L;
    double* out = lat.beta.data() + (t - 1) * L;
    for (int c = 0; c < C; ++c) {
      const double* e1 = e.w1.data() + 4 * c;
      const double* b = bsum[closed_row(c)];
      out[closed_label(c)] = inv * (e1[0] * b[0] + e1[1] * b[1] + e1[2] * b[2]);
      if (grad) {
        const double a = inv * alpha[closed_label(c)];
        for (int col = 0; col < 3; ++col) grad[lay.w1() + 4 * c + col] += a * e1[col] * b[col];
      }
    }
    for (int k = 0; k < K; ++k) {
      const double* in = e.in.data() + 4 * k;
      const double gi = g[2 + 4 * k], gl = g[3 + 4 * k];
      out[1 + 4 * k] = inv * (in[kBI] * gi + in[kBL] * gl);
      out[2 + 4 * k] = inv * (in[kII] * gi + in[kIL] * gl);
      if (grad) {
        const double ab = inv * alpha[1 + 4 * k], ai = inv * alpha[2 + 4 * k];
        double* gin = grad + lay.inner() + 4 * k;
        gin[kBI] += ab * in[kBI] * gi;
        gin[kBL] += ab * in[kBL] * gl;
        gin[kII] += ai * in[kII] * gi;
        gin[kIL] += ai * in[kIL] * gl;
      }
    }
    if (grad) {
      double agg[4][3];
      aggregate_closed(C, e.w1.data(), alpha, agg);
      for (int o = 0; o < C; ++o) {
        const double gj = inv * g[opening_label(o)];
        const int col = opening_col(o);
        for (int r = 1; r < 4; ++r) grad[lay.w2() + r * C + o] += gj * e.w2[r * C + o] * agg[r][col];
      }
    }
  }
  if (!grad) return;
  const double* a0 = lat.alpha.data();
  const double* b0 = lat.beta.data();
  for (int o = 0; o < C; ++o) grad[lay.w2() + o] += a0[opening_label(o)] * b0[opening_label(o)];
  const double* aT = lat.alpha.data() + (T - 1) * L;
  const double* bT = lat.beta.data() + (T - 1) * L;
  for (int c = 0; c < C; ++c) grad[lay.w1() + 4 * c + kEndCol] += aT[closed_label(c)] * bT[closed_label(c)];
  const uint32_t attrs = lay.attributes();
  for (size_t t = 0; t < T; ++t) {
    const double* a = lat.alpha.data() + t * L;
    const double* b = lat.beta.data() + t * L;
    for (uint32_t k = seq.begin(t); k < seq.ends[t]; ++k) {
      const uint32_t at = seq.attrs[k];
      if (at >= attrs) continue;
      for (uint32_t f = lay.attr_begin[at]; f < lay.attr_begin[at + 1]; ++f) {
        const int j = lay.attr_label[f];
        grad[f] += a[j] * b[j];
      }
    }
  }
}

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

double sequence_nll(const Layout& lay, const ExpTransitions& e, const double* w, const Sequence& seq,
                    Lattice& lat, double* grad) {
  if (seq.size() == 0) return 0.0;
  state_scores(lay, w, seq, lat.scores);
  forward(lay, e, lat.scores, lat);
  if (grad) backward(lay, e, seq, lat, grad);
  double gold = 0.0;
  size_t idx[2];
  for (size_t t = 0; t <= seq.size(); ++t) {
    const int prev = t == 0 ? -1 : seq.labels[t - 1], next = t == seq.size() ? -1 : seq.labels[t];
    const int n = transition_weights(lay, prev, next, idx);
    for (int i = 0; i < n; ++i) {
      gold += w[idx[i]];
      if (grad) grad[idx[i]] -= 1.0;
    }
    if (t == seq.size()) break;
    for (uint32_t k = seq.begin(t); k < seq.ends[t]; ++k) {
      const long f = find_state(lay, seq.attrs[k], seq.labels[t]);
      if (f < 0) continue;
      gold += w[f];
      if (grad) grad[f] -= 1.0;
    }
  }
  return lat.log_z - gold;
}

double negative_log_likelihood(const Layout& lay, const std::vector<Sequence>& data, const double* w,
                               double* grad) {
  const ExpTransitions e = exp_transitions(lay, w);
  Lattice lat;
  double sum = 0.0;
  for (const Sequence& seq : data) sum += sequence_nll(lay, e, w, seq, lat, grad);
  return sum;
}

std::vector<uint16_t> Model::viterbi(const Sequence& seq) const {
  const int L = layout_.labels(), C = layout_.closed(), K = layout_.num_types;
  const size_t T = seq.size();
  if (T == 0) return {};
  std::vector<double> delta;
  state_scores(layout_, w_.data(), seq, delta);
  std::vector<uint16_t> back(T * L, 0);
  const double* w1 = w_.data() + layout_.w1();
  const double* w2 = w_.data() + layout_.w2();
  const double* win = w_.data() + layout_.inner();
  for (int j = 0; j < L; ++j)
    if (shape_of(j) == kI || shape_of(j) == kL) delta[j] = kNegInf;
  for (int o = 0; o < C; ++o) delta[opening_label(o)] += w2[o];
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
        const double v = best[r][col] + w2[r * C + o];
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
    y[t] = label;
    label = back[t * L + label];
  }
  return y;
}

std::vector<double> Model::marginals(const Sequence& seq) const {
  Lattice lat;
  state_scores(layout_, w_.data(), seq, lat.scores);
  forward(layout_, exp_, lat.scores, lat);
  backward(layout_, exp_, seq, lat, nullptr);
  std::vector<double> m(lat.alpha.size());
  for (size_t i = 0; i < m.size(); ++i) m[i] = lat.alpha[i] * lat.beta[i];
  return m;
}

double Model::log_partition(const Sequence& seq) const {
  Lattice lat;
  state_scores(layout_, w_.data(), seq, lat.scores);
  forward(layout_, exp_, lat.scores, lat);
  return lat.log_z;
}

}  // namespace parley::nlu::crf
