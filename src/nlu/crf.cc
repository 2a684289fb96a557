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

namespace {

// The best path by max-product over lat.psi and the chain's exp() blocks (so that decoding and
// forward-backward share one set of state potentials), each token's row scaled to a largest value
// of 1. False when a row's largest value leaves the safe range (then psi must be the safe form).
bool max_product(size_t T, const Lattice& lat, std::vector<double>& delta, std::vector<uint16_t>& back,
                 std::vector<uint16_t>& y) {
  const Chain& chain = lat.chain;
  const int L = chain.labels(), K = chain.K, C = 1 + 2 * K;
  delta.resize(T * L);
  back.resize(T * L);
  const double* w1 = chain.blocks.w1.data();
  const double* w2t = chain.blocks.w2t.data();
  const double* win = chain.blocks.in.data();
  const double* psi = lat.psi.data();
  auto scale = [L](double* row, double top) {
    if (!(top > 1e-250 && top < 1e250)) return false;
    const double inv = 1.0 / top;
    for (int j = 0; j < L; ++j) row[j] *= inv;
    return true;
  };
  double top = 0.0;
  std::fill_n(delta.begin(), L, 0.0);
  for (int o = 0; o < C; ++o) {
    const int j = opening_label(o);
    delta[j] = psi[j] * w2t[4 * o];
    top = std::max(top, delta[j]);
  }
  if (!scale(delta.data(), top)) return false;
  for (size_t t = 1; t < T; ++t) {
    const double* prev = delta.data() + (t - 1) * L;
    const double* p = psi + t * L;
    double* cur = delta.data() + t * L;
    uint16_t* bp = back.data() + t * L;
    // best[row][col]: the best closed label of each row of W2 (O, L_k, U_k) times W1 [.][col].
    double best[4][3] = {};
    uint16_t arg[4][3] = {};
    for (int col = 0; col < 3; ++col) best[1][col] = prev[0] * w1[col];
    for (int k = 0; k < K; ++k) {
      const double pl = prev[3 + 4 * k], pu = prev[4 + 4 * k];
      const double* el = w1 + 4 * (1 + 2 * k);
      const double* eu = el + 4;
      for (int col = 0; col < 3; ++col) {
        if (const double v = pl * el[col]; v > best[2][col]) best[2][col] = v, arg[2][col] = static_cast<uint16_t>(3 + 4 * k);
        if (const double v = pu * eu[col]; v > best[3][col]) best[3][col] = v, arg[3][col] = static_cast<uint16_t>(4 + 4 * k);
      }
    }
    top = 0.0;
    auto open = [&](int j, const double* w2t_o, int col) {
      double v = best[1][col] * w2t_o[1];
      uint16_t from = arg[1][col];
      if (const double u = best[2][col] * w2t_o[2]; u > v) v = u, from = arg[2][col];
      if (const double u = best[3][col] * w2t_o[3]; u > v) v = u, from = arg[3][col];
      bp[j] = from;
      cur[j] = p[j] * v;
      top = std::max(top, cur[j]);
    };
    open(0, w2t, 0);
    for (int k = 0; k < K; ++k) {
      open(1 + 4 * k, w2t + 4 * (1 + 2 * k), 1);
      open(4 + 4 * k, w2t + 4 * (2 + 2 * k), 2);
      const double b = prev[1 + 4 * k], i = prev[2 + 4 * k];
      const double* in = win + 4 * k;
      const double bi = b * in[kBI], ii = i * in[kII], bl = b * in[kBL], il = i * in[kIL];
      cur[2 + 4 * k] = p[2 + 4 * k] * (bi >= ii ? bi : ii);
      bp[2 + 4 * k] = static_cast<uint16_t>(bi >= ii ? 1 + 4 * k : 2 + 4 * k);
      cur[3 + 4 * k] = p[3 + 4 * k] * (bl >= il ? bl : il);
      bp[3 + 4 * k] = static_cast<uint16_t>(bl >= il ? 1 + 4 * k : 2 + 4 * k);
      top = std::max({top, cur[2 + 4 * k], cur[3 + 4 * k]});
    }
    if (!scale(cur, top)) return false;
  }
  const double* last = delta.data() + (T - 1) * L;
  double end = -1.0;
  uint16_t label = 0;
  for (int c = 0; c < C; ++c) {
    const double v = last[closed_label(c)] * w1[4 * c + kEndCol];
    if (v > end) end = v, label = static_cast<uint16_t>(closed_label(c));
  }
  y.resize(T);
  for (size_t t = T; t-- > 0;) {
    y[t] = static_cast<uint16_t>(chain.model_label(label));
    label = back[t * L + label];
  }
  return true;
}

}  // namespace

Restriction Model::restrict_to(const std::vector<uint16_t>& types) const {
  Restriction r;
  Sequence seq;
  seq.types = types;
  Chain chain;
  make_chain(layout_, seq, exp_, chain);
  r.types = chain.types;
  r.exp.w1 = std::move(chain.blocks.w1);
  r.exp.w2t = std::move(chain.blocks.w2t);
  r.exp.in = std::move(chain.blocks.in);
  r.layout.num_types = chain.K;
  r.layout.attr_begin.assign(1, 0);
  for (uint32_t a = 0; a < layout_.attributes(); ++a) {
    for (uint32_t f = layout_.attr_begin[a]; f < layout_.attr_begin[a + 1]; ++f)
      if (const int j = chain.local[layout_.attr_label[f]]; j >= 0) {
        r.layout.attr_label.push_back(static_cast<uint16_t>(j));  // ascending: the types are sorted
        r.exp.states.push_back(exp_.states[f]);
      }
    r.layout.attr_begin.push_back(static_cast<uint32_t>(r.layout.attr_label.size()));
  }
  return r;
}

Decoded Model::decode(const Sequence& seq, bool confidence, const Restriction* restriction) const {
  Decoded out;
  const size_t T = seq.size();
  if (T == 0) return out;
  // Per-thread buffers: a parse should not allocate the lattice again for every message.
  thread_local Lattice lat;
  thread_local std::vector<double> delta;
  thread_local std::vector<uint16_t> back;
  if (restriction)
    restricted_chain(layout_, *restriction, lat.chain);
  else
    make_chain(layout_, seq, exp_, lat.chain);
  const Layout& lay = restriction ? restriction->layout : layout_;
  const BlockWeights& e = restriction ? restriction->exp : exp_;
  bool safe = false;
  state_potentials(lay, e, seq, false, lat);
  if (!max_product(T, lat, delta, back, out.labels)) {
    safe = true;
    state_potentials(lay, e, seq, true, lat);
    max_product(T, lat, delta, back, out.labels);
  }
  if (!confidence || std::all_of(out.labels.begin(), out.labels.end(), [](uint16_t l) { return l == 0; }))
    return out;
  if (!forward_pass(seq, lat) && !safe) {
    state_potentials(lay, e, seq, true, lat);
    forward_pass(seq, lat);
  }
  backward(lay, e, seq, lat, nullptr);
  const size_t CL = static_cast<size_t>(lat.chain.labels());
  out.confidence.assign(T, 0.0);
  for (size_t t = 0; t < T; ++t)
    if (const int j = lat.chain.local[out.labels[t]]; j >= 0)
      out.confidence[t] = lat.alpha[t * CL + j] * lat.beta[t * CL + j];
  return out;
}

std::vector<uint16_t> Model::viterbi(const Sequence& seq) const { return decode(seq, false).labels; }

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
