// Training and running the learned policy's network (see mlp.h).
#include "dialogue/mlp.h"

#include <cmath>
#include <random>

namespace parley::dialogue {

namespace {

constexpr float kBeta1 = 0.9f, kBeta2 = 0.999f, kEpsilon = 1e-7f;
constexpr uint32_t kMaxHidden = 4096;
constexpr uint32_t kMaxInputs = 1u << 24;
constexpr uint32_t kMaxOutputs = 1u << 20;

// Uniform in [-a, a) from the generator's raw 32-bit outputs: std::mt19937's sequence is fixed by
// the standard, std::uniform_real_distribution's mapping is not.
float uniform(std::mt19937& gen, float a) {
  float u = static_cast<float>(gen() >> 8) * (1.0f / 16777216.0f);
  return (2.0f * u - 1.0f) * a;
}

void fill_uniform(Eigen::MatrixXf& m, std::mt19937& gen, float a) {
  for (Eigen::Index c = 0; c < m.cols(); ++c)
    for (Eigen::Index r = 0; r < m.rows(); ++r) m(r, c) = uniform(gen, a);
}

// Fisher-Yates with the generator's raw outputs (std::shuffle's use of them is unspecified).
void shuffle(std::vector<uint32_t>& order, std::mt19937& gen) {
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[gen() % i]);
}

// Adam on `n` parameters at `p` with gradient `g` and moments `m`, `v`; `rate` is the step size
// with the bias corrections of this step folded in.
void adam(float* p, const float* g, float* m, float* v, Eigen::Index n, float rate, float decay) {
  for (Eigen::Index i = 0; i < n; ++i) {
    float gi = g[i] + decay * p[i];
    m[i] = kBeta1 * m[i] + (1 - kBeta1) * gi;
    v[i] = kBeta2 * v[i] + (1 - kBeta2) * gi * gi;
    p[i] -= rate * m[i] / (std::sqrt(v[i]) + kEpsilon);
  }
}

Eigen::VectorXf softmax(const Eigen::VectorXf& z) {
  Eigen::VectorXf e = (z.array() - z.maxCoeff()).exp().matrix();
  return e / e.sum();
}

// The network's weights, as the trainer sees them.
struct Weights {
  Eigen::MatrixXf& w1;
  Eigen::VectorXf& b1;
  Eigen::MatrixXf& w2;
  Eigen::VectorXf& b2;
};

// The gradients of one Adam step and the moments, shaped like the network's weights.
struct Trainer {
  Eigen::MatrixXf g1, m1, v1, g2, m2, v2;
  Eigen::VectorXf gb1, mb1, vb1, gb2, mb2, vb2;
  std::vector<uint8_t> touched;       // per input: has a gradient in this step
  std::vector<uint32_t> touched_list;
  double beta1_t = 1, beta2_t = 1;    // beta^t for the bias corrections

  Trainer(Eigen::Index hidden, Eigen::Index inputs, Eigen::Index outputs)
      : g1(Eigen::MatrixXf::Zero(hidden, inputs)), m1(g1), v1(g1),
        g2(Eigen::MatrixXf::Zero(outputs, hidden)), m2(g2), v2(g2),
        gb1(Eigen::VectorXf::Zero(hidden)), mb1(gb1), vb1(gb1),
        gb2(Eigen::VectorXf::Zero(outputs)), mb2(gb2), vb2(gb2),
        touched(static_cast<size_t>(inputs), 0) {}

  // Summed cross-entropy gradients of the examples batch[0..n), one column per example, so that
  // the dense layers are matrix products.
  void gradients(const Weights& w, const std::vector<MlpExample>& examples, const uint32_t* batch,
                 Eigen::Index n) {
    Eigen::MatrixXf pre = w.b1.replicate(1, n);
    for (Eigen::Index j = 0; j < n; ++j)
      for (const auto& [i, v] : examples[batch[j]].input) pre.col(j) += v * w.w1.col(i);
    Eigen::MatrixXf h = pre.cwiseMax(0.0f);
    Eigen::MatrixXf dz = (w.w2 * h).colwise() + w.b2;
    for (Eigen::Index j = 0; j < n; ++j) {
      dz.col(j) = softmax(dz.col(j));
      dz(examples[batch[j]].label, j) -= 1.0f;
    }
    g2.noalias() = dz * h.transpose();
    gb2 = dz.rowwise().sum();
    Eigen::MatrixXf dh = (w.w2.transpose() * dz).cwiseProduct((pre.array() > 0.0f).cast<float>().matrix());
    gb1 = dh.rowwise().sum();
    for (Eigen::Index j = 0; j < n; ++j)
      for (const auto& [i, v] : examples[batch[j]].input) {
        g1.col(i) += v * dh.col(j);
        if (!touched[i]) touched_list.push_back(i);
        touched[i] = 1;
      }
  }

  // One Adam step with the mean of the gradients over `n` examples (Adam is scale-invariant but
  // for epsilon and the decay). Lazy on the first layer: only the inputs active in the batch move.
  void step(Weights& w, Eigen::Index n, float learning_rate, float decay) {
    const float scale = 1.0f / static_cast<float>(n);
    beta1_t *= kBeta1;
    beta2_t *= kBeta2;
    const float rate = static_cast<float>(learning_rate * std::sqrt(1 - beta2_t) / (1 - beta1_t));
    g2 *= scale;
    gb1 *= scale;
    gb2 *= scale;
    adam(w.w2.data(), g2.data(), m2.data(), v2.data(), w.w2.size(), rate, decay);
    adam(w.b1.data(), gb1.data(), mb1.data(), vb1.data(), w.b1.size(), rate, 0);
    adam(w.b2.data(), gb2.data(), mb2.data(), vb2.data(), w.b2.size(), rate, 0);
    const Eigen::Index hidden = w.w1.rows();
    for (uint32_t i : touched_list) {
      g1.col(i) *= scale;
      adam(w.w1.col(i).data(), g1.col(i).data(), m1.col(i).data(), v1.col(i).data(), hidden, rate, decay);
      g1.col(i).setZero();
      touched[i] = 0;
    }
    touched_list.clear();
  }
};

}  // namespace

Eigen::VectorXf Mlp::hidden(const SparseInput& input) const {
  Eigen::VectorXf h = b1_;
  for (const auto& [i, v] : input)
    if (i < w1_.cols()) h += v * w1_.col(i);
  return h.cwiseMax(0.0f);
}

Eigen::VectorXf Mlp::probabilities(const SparseInput& input) const {
  return softmax(w2_ * hidden(input) + b2_);
}

Mlp Mlp::train(uint32_t inputs, uint32_t outputs, const std::vector<MlpExample>& examples,
               const MlpOptions& o) {
  Mlp net;
  const Eigen::Index H = std::max(1, o.hidden);
  std::mt19937 gen(static_cast<uint32_t>(o.seed ^ (o.seed >> 32)));
  double active = 0;
  for (const auto& e : examples) active += static_cast<double>(e.input.size());
  active = examples.empty() ? 1.0 : std::max(1.0, active / static_cast<double>(examples.size()));
  net.w1_.resize(H, inputs);
  fill_uniform(net.w1_, gen, static_cast<float>(std::sqrt(6.0 / (active + static_cast<double>(H)))));
  net.b1_ = Eigen::VectorXf::Zero(H);
  net.w2_.resize(outputs, H);
  fill_uniform(net.w2_, gen, static_cast<float>(std::sqrt(6.0 / static_cast<double>(H + outputs))));
  net.b2_ = Eigen::VectorXf::Zero(outputs);
  if (examples.empty() || outputs == 0) return net;

  Trainer t(H, inputs, outputs);
  Weights w{net.w1_, net.b1_, net.w2_, net.b2_};
  std::vector<uint32_t> order(examples.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  const size_t batch = static_cast<size_t>(std::max(1, o.batch));
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    shuffle(order, gen);
    for (size_t start = 0; start < order.size(); start += batch) {
      const auto n = static_cast<Eigen::Index>(std::min(order.size(), start + batch) - start);
      t.gradients(w, examples, order.data() + start, n);
      t.step(w, n, o.learning_rate, o.weight_decay);
    }
  }
  return net;
}

void Mlp::write(ByteWriter& out) const {
  out.u32(static_cast<uint32_t>(w1_.cols()));
  out.u32(static_cast<uint32_t>(w1_.rows()));
  out.u32(static_cast<uint32_t>(w2_.rows()));
  for (const Eigen::MatrixXf* m : {&w1_, &w2_})
    for (Eigen::Index i = 0; i < m->size(); ++i) out.f32(m->data()[i]);
  for (const Eigen::VectorXf* b : {&b1_, &b2_})
    for (Eigen::Index i = 0; i < b->size(); ++i) out.f32((*b)[i]);
}

Result<Mlp> Mlp::read(ByteReader& in) {
  uint32_t inputs = 0, hidden = 0, outputs = 0;
  if (!in.u32(inputs) || !in.u32(hidden) || !in.u32(outputs))
    return Status(Code::kCorruption, "network: truncated sizes");
  if (inputs > kMaxInputs || hidden == 0 || hidden > kMaxHidden || outputs > kMaxOutputs)
    return Status(Code::kCorruption, "network: implausible sizes");
  const uint64_t count = uint64_t{hidden} * inputs + uint64_t{outputs} * hidden + hidden + outputs;
  if (!in.can_read(count, 4)) return Status(Code::kCorruption, "network: truncated weights");
  Mlp net;
  net.w1_.resize(hidden, inputs);
  net.w2_.resize(outputs, hidden);
  net.b1_.resize(hidden);
  net.b2_.resize(outputs);
  for (Eigen::MatrixXf* m : {&net.w1_, &net.w2_})
    for (Eigen::Index i = 0; i < m->size(); ++i) in.f32(m->data()[i]);
  for (Eigen::VectorXf* b : {&net.b1_, &net.b2_})
    for (Eigen::Index i = 0; i < b->size(); ++i) in.f32((*b)[i]);
  for (const Eigen::MatrixXf* m : {&net.w1_, &net.w2_})
    if (!m->allFinite()) return Status(Code::kCorruption, "network: weights are not finite");
  if (!net.b1_.allFinite() || !net.b2_.allFinite()) return Status(Code::kCorruption, "network: weights are not finite");
  return net;
}

}  // namespace parley::dialogue
