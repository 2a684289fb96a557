// Training of the CRF (nlu/crf.h) with liblbfgs (L-BFGS, or OWL-QN when c1 > 0), the gradient split
// across threads over fixed contiguous chunks and summed in chunk order (so results do not depend on
// timing), and the model's binary encoding.
#include <lbfgs.h>

#include <algorithm>
#include <cmath>
#include <thread>

#include "nlu/crf.h"
#include "nlu/crf_lattice.h"

namespace parley::nlu::crf {

namespace {

constexpr uint32_t kMagic = 0x46524350;  // "PCRF"
constexpr uint32_t kVersion = 1;

struct Problem {
  const Layout* layout;
  const std::vector<Sequence>* data;
  std::vector<PreparedSequence> prepared;  // one per sequence of data
  std::vector<size_t> chunk_ends;          // chunk i covers sequences [end(i-1), end(i))
  std::vector<std::vector<double>> grads;  // one per chunk
  double c2 = 0.0;
};

// Chunks of about equal token counts, in order.
std::vector<size_t> split_by_tokens(const std::vector<Sequence>& data, int chunks) {
  size_t tokens = 0;
  for (const Sequence& s : data) tokens += s.size();
  std::vector<size_t> ends;
  size_t seen = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    seen += data[i].size();
    while (ends.size() + 1 < static_cast<size_t>(chunks) && seen * chunks >= tokens * (ends.size() + 1))
      ends.push_back(i + 1);
  }
  while (ends.size() < static_cast<size_t>(chunks)) ends.push_back(data.size());
  return ends;
}

double chunk_nll(const Problem& p, size_t chunk, const double* w, const BlockWeights& e, double* grad) {
  const size_t begin = chunk == 0 ? 0 : p.chunk_ends[chunk - 1];
  Lattice lat;
  double sum = 0.0;
  for (size_t i = begin; i < p.chunk_ends[chunk]; ++i)
    sum += sequence_nll(*p.layout, e, w, (*p.data)[i], p.prepared[i], lat, grad);
  return sum;
}

lbfgsfloatval_t evaluate(void* instance, const lbfgsfloatval_t* w, lbfgsfloatval_t* g, int n, lbfgsfloatval_t) {
  Problem& p = *static_cast<Problem*>(instance);
  const BlockWeights e = block_weights(*p.layout, w, true);
  const size_t chunks = p.chunk_ends.size();
  std::vector<double> losses(chunks, 0.0);
  for (auto& grad : p.grads) std::fill(grad.begin(), grad.end(), 0.0);
  std::vector<std::thread> workers;
  for (size_t c = 1; c < chunks; ++c)
    workers.emplace_back([&, c] { losses[c] = chunk_nll(p, c, w, e, p.grads[c].data()); });
  losses[0] = chunk_nll(p, 0, w, e, p.grads[0].data());
  for (auto& t : workers) t.join();
  double f = 0.0;
  for (size_t c = 0; c < chunks; ++c) f += losses[c];
  for (int i = 0; i < n; ++i) {
    double gi = 0.0;
    for (size_t c = 0; c < chunks; ++c) gi += p.grads[c][i];
    g[i] = gi + 2.0 * p.c2 * w[i];
    f += p.c2 * w[i] * w[i];
  }
  return f;
}

// Drops the state features whose weight is exactly zero (OWL-QN makes many).
void drop_zero_states(Layout& lay, std::vector<double>& w) {
  Layout out;
  out.num_types = lay.num_types;
  out.attr_begin.assign(lay.attr_begin.size(), 0);
  std::vector<double> kept;
  for (uint32_t a = 0; a < lay.attributes(); ++a) {
    for (uint32_t f = lay.attr_begin[a]; f < lay.attr_begin[a + 1]; ++f) {
      if (w[f] == 0.0) continue;
      out.attr_label.push_back(lay.attr_label[f]);
      kept.push_back(w[f]);
    }
    out.attr_begin[a + 1] = static_cast<uint32_t>(out.attr_label.size());
  }
  kept.insert(kept.end(), w.begin() + lay.w1(), w.end());
  lay = std::move(out);
  w = std::move(kept);
}

}  // namespace

void index_runs(Layout& lay) {
  lay.run_begin.assign(1, 0);
  lay.runs.clear();
  for (uint32_t a = 0; a < lay.attributes(); ++a) {
    int run_type = -2;  // O is type -1 here
    for (uint32_t f = lay.attr_begin[a]; f < lay.attr_begin[a + 1]; ++f) {
      const int type = lay.attr_label[f] == 0 ? -1 : type_of(lay.attr_label[f]);
      if (type != run_type) lay.runs.push_back(f), run_type = type;
    }
    lay.run_begin.push_back(static_cast<uint32_t>(lay.runs.size()));
  }
}

Layout make_layout(const std::vector<Sequence>& data, int num_types, uint32_t num_attrs) {
  std::vector<std::vector<uint16_t>> seen(num_attrs);
  for (const Sequence& s : data)
    for (size_t t = 0; t < s.size(); ++t)
      for (uint32_t k = s.begin(t); k < s.ends[t]; ++k)
        if (s.attrs[k] < num_attrs) seen[s.attrs[k]].push_back(s.labels[t]);
  Layout lay;
  lay.num_types = num_types;
  lay.attr_begin.reserve(num_attrs + 1);
  lay.attr_begin.push_back(0);
  for (auto& labels : seen) {
    std::sort(labels.begin(), labels.end());
    labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
    lay.attr_label.insert(lay.attr_label.end(), labels.begin(), labels.end());
    lay.attr_begin.push_back(static_cast<uint32_t>(lay.attr_label.size()));
  }
  index_runs(lay);
  return lay;
}

Model::Model(Layout layout, std::vector<double> weights) : layout_(std::move(layout)), w_(std::move(weights)) {
  index_runs(layout_);
  exp_ = block_weights(layout_, w_.data(), true);
}

Model Model::train(const std::vector<Sequence>& data, int num_types, uint32_t num_attrs, const TrainOptions& options) {
  Layout lay = make_layout(data, num_types, num_attrs);
  const int n = static_cast<int>(lay.size());
  Problem p{&lay, &data, {}, split_by_tokens(data, std::max(1, options.threads)), {}, options.c2};
  p.prepared.reserve(data.size());
  for (const Sequence& seq : data) p.prepared.push_back(prepare(lay, seq));
  p.grads.assign(p.chunk_ends.size(), std::vector<double>(n, 0.0));

  lbfgsfloatval_t* x = lbfgs_malloc(n);
  std::fill(x, x + n, 0.0);
  lbfgs_parameter_t param;
  lbfgs_parameter_init(&param);
  param.max_iterations = std::max(1, options.max_iterations);  // liblbfgs takes 0 as no limit
  param.epsilon = 1e-5;  // crfsuite's defaults: stop on a small gradient or a small gain over 10 steps
  param.past = 10;
  param.delta = 1e-5;
  if (options.c1 > 0.0) {
    param.orthantwise_c = options.c1;
    param.orthantwise_start = 0;
    param.orthantwise_end = n;
    param.linesearch = LBFGS_LINESEARCH_BACKTRACKING;
  }
  lbfgsfloatval_t fx = 0.0;
  // Any return code leaves the best weights found in x (max iterations, rounding, convergence).
  (void)lbfgs(n, x, &fx, evaluate, nullptr, &p, &param);
  std::vector<double> w(x, x + n);
  lbfgs_free(x);
  drop_zero_states(lay, w);
  return Model(std::move(lay), std::move(w));
}

size_t Model::nonzero_weights() const {
  return static_cast<size_t>(std::count_if(w_.begin(), w_.end(), [](double v) { return v != 0.0; }));
}

void Model::write(ByteWriter& out) const {
  out.u32(kMagic);
  out.u32(kVersion);
  out.u32(static_cast<uint32_t>(layout_.num_types));
  out.u32(layout_.attributes());
  for (uint32_t b : layout_.attr_begin) out.u32(b);
  for (uint16_t l : layout_.attr_label) out.u32(l);
  for (double v : w_) out.f64(v);
}

Result<Model> Model::read(ByteReader& in) {
  const Status bad = Status(Code::kCorruption, "crf model: truncated or invalid");
  uint32_t magic, version, types, attrs;
  if (!in.u32(magic) || !in.u32(version) || magic != kMagic) return bad;
  if (version != kVersion) return Status(Code::kCorruption, "crf model: unknown version " + std::to_string(version));
  if (!in.u32(types) || types > 16000 || !in.count(attrs, 4)) return bad;
  Layout lay;
  lay.num_types = static_cast<int>(types);
  lay.attr_begin.resize(static_cast<size_t>(attrs) + 1);
  for (uint32_t& b : lay.attr_begin)
    if (!in.u32(b)) return bad;
  for (size_t a = 0; a < attrs; ++a)
    if (lay.attr_begin[a] > lay.attr_begin[a + 1]) return bad;
  if (lay.attr_begin[0] != 0 || lay.attr_begin.back() > in.remaining() / 4) return bad;
  lay.attr_label.resize(lay.attr_begin.back());
  for (uint16_t& l : lay.attr_label) {
    uint32_t v;
    if (!in.u32(v) || v >= static_cast<uint32_t>(lay.labels())) return bad;
    l = static_cast<uint16_t>(v);
  }
  for (size_t a = 0; a < attrs; ++a)
    for (uint32_t f = lay.attr_begin[a] + 1; f < lay.attr_begin[a + 1]; ++f)
      if (lay.attr_label[f - 1] >= lay.attr_label[f]) return bad;
  if (lay.size() > in.remaining() / 8) return bad;
  std::vector<double> w(lay.size());
  for (double& v : w)
    if (!in.f64(v) || !std::isfinite(v) || std::fabs(v) > 1e6) return bad;
  return Model(std::move(lay), std::move(w));
}

}  // namespace parley::nlu::crf
