// The CRF's lattice (nlu/crf_lattice.h): per-sequence chains of allowed types, state potentials,
// scaled forward-backward with expected feature counts, all in O(T * L) through the factorised
// transitions, and the negative log-likelihood that training minimises.
#include "nlu/crf_lattice.h"

#include <algorithm>
#include <cmath>

namespace parley::nlu::crf {

namespace {

// Chain closed / opening index c (or o) -> the model's, for a chain over `types`.
int model_index(const std::vector<int>& types, int c) { return c == 0 ? 0 : 2 * types[(c - 1) / 2] + 1 + (c - 1) % 2; }

// agg[row][col] = sum over closed labels i of row `row` of prev[i] * e1[i][col], for cols O, B, U.
void aggregate_closed(int K, const double* e1, const double* prev, double agg[4][3]) {
  double l0 = 0, l1 = 0, l2 = 0, u0 = 0, u1 = 0, u2 = 0;
  for (int k = 0; k < K; ++k) {
    const double pl = prev[3 + 4 * k], pu = prev[4 + 4 * k];
    const double* el = e1 + 4 * (1 + 2 * k);
    const double* eu = el + 4;
    l0 += pl * el[0], l1 += pl * el[1], l2 += pl * el[2];
    u0 += pu * eu[0], u1 += pu * eu[1], u2 += pu * eu[2];
  }
  agg[0][0] = agg[0][1] = agg[0][2] = 0.0;
  agg[1][0] = prev[0] * e1[0], agg[1][1] = prev[0] * e1[1], agg[1][2] = prev[0] * e1[2];
  agg[2][0] = l0, agg[2][1] = l1, agg[2][2] = l2;
  agg[3][0] = u0, agg[3][1] = u1, agg[3][2] = u2;
}

// sum over rows 1..3 of w2t[o][row] * agg[row][col]: the weight of reaching opening label o.
inline double reach(const double* w2t_o, const double agg[4][3], int col) {
  return w2t_o[1] * agg[1][col] + w2t_o[2] * agg[2][col] + w2t_o[3] * agg[3][col];
}

// Visits token t's state features, f(feature, chain label), through its attributes.
struct AttributeFeatures {
  const Layout& lay;
  const Chain& ch;
  const Sequence& seq;
  template <typename F>
  void operator()(size_t t, F&& f) const {
    const uint32_t attrs = lay.attributes();
    for (uint32_t k = seq.begin(t); k < seq.ends[t]; ++k)
      if (seq.attrs[k] < attrs) for_each_feature(lay, ch, seq.attrs[k], f);
  }
};

// The same visit through a PreparedSequence's runs.
struct RunFeatures {
  const uint16_t* labels;
  const PreparedSequence& prep;
  template <typename F>
  void operator()(size_t t, F&& f) const {
    for (uint32_t r = t == 0 ? 0 : prep.run_ends[t - 1]; r < prep.run_ends[t]; ++r) {
      const FeatureRun run = prep.runs[r];
      for (uint32_t i = run.first; i < run.first + run.count; ++i) f(i, labels[i] + run.shift);
    }
  }
};

// psi[t * L + j] = exp(state score of chain label j at token t). The fast way multiplies exp(w) (no
// exp() per token and label); the safe way takes exp of the sums less each token's largest, for
// weights so large that products leave the range of doubles. Returns the log of what was taken out.
template <typename Features>
double state_potentials(const BlockWeights& e, size_t T, const Chain& chain, const Features& features, bool safe,
                        std::vector<double>& psi) {
  const size_t L = chain.labels();
  psi.assign(T * L, safe ? 0.0 : 1.0);
  const double* states = e.states.data();
  double log_shift = 0.0;
  for (size_t t = 0; t < T; ++t) {
    double* row = psi.data() + t * L;
    if (safe)
      features(t, [&](uint32_t f, int j) { row[j] += std::log(states[f]); });
    else
      features(t, [&](uint32_t f, int j) { row[j] *= states[f]; });
    if (!safe) continue;
    const double shift = *std::max_element(row, row + L);
    for (size_t j = 0; j < L; ++j) row[j] = std::exp(row[j] - shift);
    log_shift += shift;
  }
  return log_shift;
}

bool in_range(double x) { return x > 1e-250 && x < 1e250; }

// The scaled forward recursion over lat.psi; false when a normaliser leaves the safe range.
bool forward_pass(size_t T, Lattice& lat) {
  const Chain& ch = lat.chain;
  const int L = ch.labels(), K = ch.K;
  lat.alpha.resize(T * L);  // every entry is written below
  lat.scale.assign(T + 1, 0.0);
  const double* w1 = ch.blocks.w1.data();
  const double* w2t = ch.blocks.w2t.data();
  const double* win = ch.blocks.in.data();
  double log_z = 0.0;
  for (size_t t = 0; t < T; ++t) {
    const double* psi = lat.psi.data() + t * L;
    double* cur = lat.alpha.data() + t * L;
    if (t == 0) {
      std::fill_n(cur, L, 0.0);
      cur[0] = w2t[0];  // row 0 of W2: from the start
      for (int k = 0; k < K; ++k) cur[1 + 4 * k] = w2t[4 * (1 + 2 * k)], cur[4 + 4 * k] = w2t[4 * (2 + 2 * k)];
    } else {
      const double* prev = cur - L;
      double agg[4][3];
      aggregate_closed(K, w1, prev, agg);
      cur[0] = reach(w2t, agg, 0);
      for (int k = 0; k < K; ++k) {
        const double b = prev[1 + 4 * k], i = prev[2 + 4 * k];
        const double* in = win + 4 * k;
        cur[1 + 4 * k] = reach(w2t + 4 * (1 + 2 * k), agg, 1);
        cur[2 + 4 * k] = b * in[kBI] + i * in[kII];
        cur[3 + 4 * k] = b * in[kBL] + i * in[kIL];
        cur[4 + 4 * k] = reach(w2t + 4 * (2 + 2 * k), agg, 2);
      }
    }
    double sum = 0.0;
    for (int j = 0; j < L; ++j) sum += (cur[j] *= psi[j]);
    if (!in_range(sum)) return false;
    lat.scale[t] = sum;
    const double inv = 1.0 / sum;
    for (int j = 0; j < L; ++j) cur[j] *= inv;
    log_z += std::log(sum);
  }
  double end = 1.0;
  if (T > 0) {
    const double* last = lat.alpha.data() + (T - 1) * L;
    end = last[0] * w1[kEndCol];
    for (int k = 0; k < K; ++k) end += last[3 + 4 * k] * w1[4 * (1 + 2 * k) + kEndCol] + last[4 + 4 * k] * w1[4 * (2 + 2 * k) + kEndCol];
  }
  lat.scale[T] = end;
  if (!in_range(end)) return false;
  lat.log_z = log_z + std::log(end);
  return true;
}

// Expected counts of the transitions between tokens t-1 and t, added to lat.tgrad (laid out as the
// chain's blocks); g = psi_t * beta_t, inv = 1 / scale_t.
void transition_expectations(Lattice& lat, const double* alpha, const double* g, const double bsum[4][3],
                             double inv) {
  const Chain& ch = lat.chain;
  const int K = ch.K, C = 1 + 2 * K;
  double* g1 = lat.tgrad.data();
  double* g2 = g1 + 4 * C;
  double* gin = g2 + 4 * C;
  const double* w1 = ch.blocks.w1.data();
  auto closed = [&](int c, double a) {
    const double* b = bsum[closed_row(c)];
    for (int col = 0; col < 3; ++col) g1[4 * c + col] += inv * a * w1[4 * c + col] * b[col];
  };
  closed(0, alpha[0]);
  for (int k = 0; k < K; ++k) closed(1 + 2 * k, alpha[3 + 4 * k]), closed(2 + 2 * k, alpha[4 + 4 * k]);
  double agg[4][3];
  aggregate_closed(K, w1, alpha, agg);
  auto opening = [&](int o, int col, double gj) {
    const double* w2t = ch.blocks.w2t.data() + 4 * o;
    for (int r = 1; r < 4; ++r) g2[4 * o + r] += inv * gj * w2t[r] * agg[r][col];
  };
  opening(0, 0, g[0]);
  for (int k = 0; k < K; ++k) {
    opening(1 + 2 * k, 1, g[1 + 4 * k]);
    opening(2 + 2 * k, 2, g[4 + 4 * k]);
    const double* in = ch.blocks.in.data() + 4 * k;
    const double ab = inv * alpha[1 + 4 * k], ai = inv * alpha[2 + 4 * k], gi = g[2 + 4 * k], gl = g[3 + 4 * k];
    double* gk = gin + 4 * k;
    gk[kBI] += ab * in[kBI] * gi, gk[kBL] += ab * in[kBL] * gl;
    gk[kII] += ai * in[kII] * gi, gk[kIL] += ai * in[kIL] * gl;
  }
}

// Expected counts of the start and end transitions (into lat.tgrad) and of the state features.
template <typename Features>
void boundary_and_state_expectations(size_t T, const Features& features, Lattice& lat, double* grad) {
  const Chain& ch = lat.chain;
  const int L = ch.labels(), C = 1 + 2 * ch.K;
  double* g1 = lat.tgrad.data();
  double* g2 = g1 + 4 * C;
  lat.row.resize(static_cast<size_t>(L));
  double* m = lat.row.data();
  for (size_t t = 0; t < T; ++t) {
    const double* a = lat.alpha.data() + t * L;
    const double* b = lat.beta.data() + t * L;
    for (int j = 0; j < L; ++j) m[j] = a[j] * b[j];
    if (t == 0)
      for (int o = 0; o < C; ++o) g2[4 * o] += m[opening_label(o)];
    if (t == T - 1)
      for (int c = 0; c < C; ++c) g1[4 * c + kEndCol] += m[closed_label(c)];
    features(t, [&](uint32_t f, int j) { grad[f] += m[j]; });
  }
}

// Adds lat.tgrad (the chain's blocks) to the model's transition weights in `grad`.
void scatter_transitions(const Layout& lay, const Lattice& lat, double* grad) {
  const Chain& ch = lat.chain;
  const int C = 1 + 2 * ch.K, MC = lay.closed();
  const double* g1 = lat.tgrad.data();
  const double* g2 = g1 + 4 * C;
  const double* gin = g2 + 4 * C;
  for (int c = 0; c < C; ++c) {
    const int mc = model_index(ch.types, c);
    for (int col = 0; col < 4; ++col) grad[lay.w1() + 4 * mc + col] += g1[4 * c + col];
    for (int r = 0; r < 4; ++r) grad[lay.w2() + r * MC + mc] += g2[4 * c + r];
  }
  for (int k = 0; k < ch.K; ++k)
    for (int p = 0; p < 4; ++p) grad[lay.inner() + 4 * ch.types[k] + p] += gin[4 * k + p];
}

// The backward recursion over lat.psi into lat.beta; with `grad`, the transitions' expected counts
// into lat.tgrad.
void backward_pass(size_t T, Lattice& lat, bool grad) {
  const Chain& ch = lat.chain;
  const int L = ch.labels(), K = ch.K;
  lat.beta.resize(T * L);  // every entry is written below
  if (T == 0) return;
  if (grad) lat.tgrad.assign(8 * (1 + 2 * K) + 4 * K, 0.0);
  const double* w1 = ch.blocks.w1.data();
  const double* w2t = ch.blocks.w2t.data();
  double* last = lat.beta.data() + (T - 1) * L;
  std::fill_n(last, L, 0.0);
  const double end_inv = 1.0 / lat.scale[T];
  last[0] = w1[kEndCol] * end_inv;
  for (int k = 0; k < K; ++k)
    last[3 + 4 * k] = w1[4 * (1 + 2 * k) + kEndCol] * end_inv, last[4 + 4 * k] = w1[4 * (2 + 2 * k) + kEndCol] * end_inv;
  lat.row.resize(static_cast<size_t>(L));
  double* g = lat.row.data();
  for (size_t t = T - 1; t >= 1; --t) {
    const double* psi = lat.psi.data() + t * L;
    const double* beta = lat.beta.data() + t * L;
    for (int j = 0; j < L; ++j) g[j] = psi[j] * beta[j];
    // bsum[row][col]: sum over opening labels j of column col of w2t[j][row] * g[j].
    double bsum[4][3] = {};
    double b1 = 0, b2 = 0, b3 = 0, u1 = 0, u2 = 0, u3 = 0;
    for (int k = 0; k < K; ++k) {
      const double gb = g[1 + 4 * k], gu = g[4 + 4 * k];
      const double* wb = w2t + 4 * (1 + 2 * k);
      const double* wu = wb + 4;
      b1 += wb[1] * gb, b2 += wb[2] * gb, b3 += wb[3] * gb;
      u1 += wu[1] * gu, u2 += wu[2] * gu, u3 += wu[3] * gu;
    }
    for (int r = 1; r < 4; ++r) bsum[r][0] = w2t[r] * g[0];
    bsum[1][1] = b1, bsum[2][1] = b2, bsum[3][1] = b3;
    bsum[1][2] = u1, bsum[2][2] = u2, bsum[3][2] = u3;
    const double inv = 1.0 / lat.scale[t];
    double* out = lat.beta.data() + (t - 1) * L;
    auto closed = [&](int c) {
      const double* e1 = w1 + 4 * c;
      const double* b = bsum[closed_row(c)];
      return inv * (e1[0] * b[0] + e1[1] * b[1] + e1[2] * b[2]);
    };
    out[0] = closed(0);
    for (int k = 0; k < K; ++k) {
      const double* in = ch.blocks.in.data() + 4 * k;
      const double gi = g[2 + 4 * k], gl = g[3 + 4 * k];
      out[1 + 4 * k] = inv * (in[kBI] * gi + in[kBL] * gl);
      out[2 + 4 * k] = inv * (in[kII] * gi + in[kIL] * gl);
      out[3 + 4 * k] = closed(1 + 2 * k);
      out[4 + 4 * k] = closed(2 + 2 * k);
    }
    if (grad) transition_expectations(lat, lat.alpha.data() + (t - 1) * L, g, bsum, inv);
  }
}


template <typename Features>
void run_forward(const BlockWeights& e, size_t T, const Features& features, Lattice& lat) {
  state_potentials(e, T, lat.chain, features, false, lat.psi);
  if (forward_pass(T, lat)) return;
  const double shift = state_potentials(e, T, lat.chain, features, true, lat.psi);
  forward_pass(T, lat);
  lat.log_z += shift;
}

template <typename Features>
void run_backward(const Layout& lay, size_t T, const Features& features, Lattice& lat, double* grad) {
  backward_pass(T, lat, grad != nullptr);
  if (!grad || T == 0) return;
  boundary_and_state_expectations(T, features, lat, grad);
  scatter_transitions(lay, lat, grad);
}

// Calls f(weight index) for each weight of the gold path of `seq`, in order.
template <typename F>
void for_each_gold_weight(const Layout& lay, const Sequence& seq, F&& f) {
  size_t idx[2];
  for (size_t t = 0; t <= seq.size(); ++t) {
    const int prev = t == 0 ? -1 : seq.labels[t - 1], next = t == seq.size() ? -1 : seq.labels[t];
    const int n = transition_weights(lay, prev, next, idx);
    for (int i = 0; i < n; ++i) f(idx[i]);
    if (t == seq.size()) break;
    for (uint32_t k = seq.begin(t); k < seq.ends[t]; ++k)
      if (const long at = find_state(lay, seq.attrs[k], seq.labels[t]); at >= 0) f(static_cast<size_t>(at));
  }
}

}  // namespace

BlockWeights block_weights(const Layout& lay, const double* w, bool exp) {
  const int C = lay.closed();
  auto f = [exp](double x) { return exp ? std::exp(x) : x; };
  BlockWeights e;
  if (exp) {
    e.states.resize(lay.states());
    for (size_t i = 0; i < lay.states(); ++i) e.states[i] = std::exp(w[i]);
  }
  e.w1.resize(4 * C);
  e.w2t.resize(4 * C);
  for (int i = 0; i < 4 * C; ++i) e.w1[i] = f(w[lay.w1() + i]);
  for (int r = 0; r < 4; ++r)
    for (int o = 0; o < C; ++o) e.w2t[4 * o + r] = f(w[lay.w2() + r * C + o]);
  e.in.resize(4 * lay.num_types);
  for (int i = 0; i < 4 * lay.num_types; ++i) e.in[i] = f(w[lay.inner() + i]);
  return e;
}

namespace {

// chain.K, local and identity from chain.types.
void map_labels(const Layout& lay, Chain& chain) {
  chain.K = static_cast<int>(chain.types.size());
  chain.local.assign(lay.labels(), -1);
  chain.local[0] = 0;
  chain.identity = chain.K == lay.num_types;
  for (int k = 0; k < chain.K; ++k) {
    for (int s = 0; s < 4; ++s) chain.local[1 + 4 * chain.types[k] + s] = static_cast<int16_t>(1 + 4 * k + s);
    chain.identity = chain.identity && chain.types[k] == k;
  }
}

}  // namespace

void chain_types(const Layout& lay, const Sequence& seq, Chain& chain) {
  chain.types.clear();
  if (seq.types.empty())
    for (int k = 0; k < lay.num_types; ++k) chain.types.push_back(k);
  else
    for (uint16_t k : seq.types)
      if (k < lay.num_types) chain.types.push_back(k);
  map_labels(lay, chain);
}

void restricted_chain(const Layout& model, const Restriction& r, Chain& chain) {
  chain.types = r.types;
  map_labels(model, chain);
  chain.identity = true;
  chain.blocks.w1 = r.exp.w1;
  chain.blocks.w2t = r.exp.w2t;
  chain.blocks.in = r.exp.in;
}

void make_chain(const Layout& lay, const Sequence& seq, const BlockWeights& model, Chain& chain) {
  chain_types(lay, seq, chain);
  const int C = 1 + 2 * chain.K;
  BlockWeights& b = chain.blocks;
  b.w1.resize(4 * C);
  b.w2t.resize(4 * C);
  b.in.resize(4 * chain.K);
  for (int c = 0; c < C; ++c) {
    const int mc = model_index(chain.types, c);
    std::copy_n(model.w1.begin() + 4 * mc, 4, b.w1.begin() + 4 * c);
    std::copy_n(model.w2t.begin() + 4 * mc, 4, b.w2t.begin() + 4 * c);
  }
  for (int k = 0; k < chain.K; ++k) std::copy_n(model.in.begin() + 4 * chain.types[k], 4, b.in.begin() + 4 * k);
}

long find_state(const Layout& lay, uint32_t a, int label) {
  if (a >= lay.attributes()) return -1;
  auto first = lay.attr_label.begin() + lay.attr_begin[a], last = lay.attr_label.begin() + lay.attr_begin[a + 1];
  auto it = std::lower_bound(first, last, static_cast<uint16_t>(label));
  return it != last && *it == label ? static_cast<long>(it - lay.attr_label.begin()) : -1;
}

double state_potentials(const Layout& lay, const BlockWeights& e, const Sequence& seq, bool safe, Lattice& lat) {
  return state_potentials(e, seq.size(), lat.chain, AttributeFeatures{lay, lat.chain, seq}, safe, lat.psi);
}

bool forward_pass(const Sequence& seq, Lattice& lat) { return forward_pass(seq.size(), lat); }

void forward(const Layout& lay, const BlockWeights& e, const Sequence& seq, Lattice& lat) {
  run_forward(e, seq.size(), AttributeFeatures{lay, lat.chain, seq}, lat);
}

void backward(const Layout& lay, const BlockWeights&, const Sequence& seq, Lattice& lat, double* grad) {
  run_backward(lay, seq.size(), AttributeFeatures{lay, lat.chain, seq}, lat, grad);
}

double sequence_nll(const Layout& lay, const BlockWeights& e, const double* w, const Sequence& seq,
                    Lattice& lat, double* grad) {
  if (seq.size() == 0) return 0.0;
  make_chain(lay, seq, e, lat.chain);
  forward(lay, e, seq, lat);
  if (grad) backward(lay, e, seq, lat, grad);
  double gold = 0.0;
  for_each_gold_weight(lay, seq, [&](size_t i) {
    gold += w[i];
    if (grad) grad[i] -= 1.0;
  });
  return lat.log_z - gold;
}

double sequence_nll(const Layout& lay, const BlockWeights& e, const double* w, const Sequence& seq,
                    const PreparedSequence& prep, Lattice& lat, double* grad) {
  if (seq.size() == 0) return 0.0;
  make_chain(lay, seq, e, lat.chain);
  const RunFeatures features{lay.attr_label.data(), prep};
  run_forward(e, seq.size(), features, lat);
  if (grad) run_backward(lay, seq.size(), features, lat, grad);
  double gold = 0.0;
  for (uint32_t i : prep.gold) gold += w[i];
  if (grad)
    for (uint32_t i : prep.gold) grad[i] -= 1.0;
  return lat.log_z - gold;
}

PreparedSequence prepare(const Layout& lay, const Sequence& seq) {
  Chain chain;
  chain_types(lay, seq, chain);
  PreparedSequence p;
  const uint16_t* labels = lay.attr_label.data();
  for (size_t t = 0; t < seq.size(); ++t) {
    const size_t token_first = p.runs.size();
    AttributeFeatures{lay, chain, seq}(t, [&](uint32_t f, int j) {
      const int shift = j - labels[f];
      FeatureRun* last = p.runs.size() > token_first ? &p.runs.back() : nullptr;
      if (last && last->first + last->count == f && last->shift == shift && last->count < UINT16_MAX)
        ++last->count;
      else
        p.runs.push_back({f, 1, static_cast<int16_t>(shift)});
    });
    p.run_ends.push_back(static_cast<uint32_t>(p.runs.size()));
  }
  for_each_gold_weight(lay, seq, [&](size_t i) { p.gold.push_back(static_cast<uint32_t>(i)); });
  return p;
}

double negative_log_likelihood(const Layout& lay, const std::vector<Sequence>& data, const double* w,
                               double* grad) {
  const BlockWeights e = block_weights(lay, w, true);
  Lattice lat;
  double sum = 0.0;
  for (const Sequence& seq : data) sum += sequence_nll(lay, e, w, seq, lat, grad);
  return sum;
}

}  // namespace parley::nlu::crf
