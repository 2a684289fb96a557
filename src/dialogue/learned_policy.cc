// Training, running and serialising the learned dialogue policy (see learned_policy.h).
#include "dialogue/learned_policy.h"

#include <algorithm>
#include <map>
#include <set>

namespace parley::dialogue {

namespace {

constexpr uint32_t kMagic = 0x50544c50;  // "PLTP" little-endian: Parley learned policy
constexpr uint32_t kFormatVersion = 1;
constexpr int kMaxHistoryLimit = 1000;
// Epochs when the config leaves them to us: about kTargetPasses example passes, within bounds.
constexpr size_t kTargetPasses = 40000;
constexpr int kMinEpochs = 5, kMaxEpochs = 2000;
// Whatever the config says, training stops after about this many example passes.
constexpr size_t kMaxPasses = 400000;
constexpr uint32_t kMaxEpochsStored = 1u << 20;

int epochs_for(size_t examples, int configured) {
  const size_t n = std::max<size_t>(1, examples);
  int epochs = configured > 0 ? configured
                              : std::clamp(static_cast<int>((kTargetPasses + n - 1) / n), kMinEpochs, kMaxEpochs);
  const int cap = std::max(1, static_cast<int>(kMaxPasses / n));
  return std::min(epochs, cap);
}

bool contains(const std::vector<Feature>& sorted, Feature f) {
  return std::binary_search(sorted.begin(), sorted.end(), f);
}

const Feature kPrevListen = feature("prev:action_listen");

}  // namespace

uint32_t LearnedPolicy::input_size() const {
  return static_cast<uint32_t>(vocabulary_.size() * static_cast<size_t>(max_history_));
}

// Block k holds the state k steps back (0 = the current state); positions before the start of
// the conversation are all zero, like unseen features, so that a short history does not stand
// for "the first turn" on its own.
SparseInput LearnedPolicy::encode(const std::vector<State>& states) const {
  SparseInput in;
  const uint32_t block = static_cast<uint32_t>(vocabulary_.size());
  for (int k = 0; k < max_history_ && static_cast<size_t>(k) < states.size(); ++k) {
    const uint32_t base = block * static_cast<uint32_t>(k);
    const float weight = 1.0f / static_cast<float>(1 + k);
    for (Feature f : states[states.size() - 1 - k].features) {
      auto it = std::lower_bound(vocabulary_.begin(), vocabulary_.end(), f);
      if (it != vocabulary_.end() && *it == f)
        in.emplace_back(base + static_cast<uint32_t>(it - vocabulary_.begin()), weight);
    }
  }
  return in;
}

LearnedPolicy LearnedPolicy::train(const std::vector<LearnedExample>& examples, const std::vector<Feature>& intents,
                                   const LearnedPolicyOptions& options) {
  LearnedPolicy lp;
  lp.component_ = options.component;
  lp.max_history_ = std::clamp(options.max_history, 1, kMaxHistoryLimit);
  std::set<Feature> vocabulary;
  std::set<std::string> actions;
  for (const auto& ex : examples) {
    actions.insert(ex.action);
    const size_t history = static_cast<size_t>(lp.max_history_);
    const size_t from = ex.states.size() > history ? ex.states.size() - history : 0;
    for (size_t i = from; i < ex.states.size(); ++i)
      vocabulary.insert(ex.states[i].features.begin(), ex.states[i].features.end());
    if (ex.action == "action_listen" && !ex.states.empty() && ex.states.back().has(kPrevListen))
      lp.listens_after_user_ = true;
  }
  lp.vocabulary_.assign(vocabulary.begin(), vocabulary.end());
  lp.actions_.assign(actions.begin(), actions.end());
  for (Feature f : intents)
    if (!vocabulary.count(f)) lp.unseen_intents_.push_back(f);
  std::sort(lp.unseen_intents_.begin(), lp.unseen_intents_.end());
  auto& unseen = lp.unseen_intents_;
  unseen.erase(std::unique(unseen.begin(), unseen.end()), unseen.end());

  // Distinct examples in a canonical order, so that the input order does not matter.
  std::set<std::pair<SparseInput, uint32_t>> distinct;
  for (const auto& ex : examples) {
    auto label = std::lower_bound(lp.actions_.begin(), lp.actions_.end(), ex.action) - lp.actions_.begin();
    distinct.emplace(lp.encode(ex.states), static_cast<uint32_t>(label));
  }
  std::vector<MlpExample> train;
  train.reserve(distinct.size());
  for (const auto& [input, label] : distinct) train.push_back({input, label});
  lp.example_count_ = static_cast<uint32_t>(train.size());
  lp.epochs_ = epochs_for(train.size(), options.epochs);

  MlpOptions mo;
  mo.hidden = options.hidden;
  mo.epochs = lp.epochs_;
  mo.seed = options.seed;
  lp.net_ = Mlp::train(lp.input_size(), static_cast<uint32_t>(lp.actions_.size()), train, mo);
  return lp;
}

std::optional<Prediction> LearnedPolicy::predict(const std::vector<State>& states,
                                                       std::string_view exclude) const {
  if (actions_.empty() || states.empty()) return std::nullopt;
  const State& current = states.back();
  for (Feature f : current.features)
    if (contains(unseen_intents_, f)) return std::nullopt;
  const bool after_user = current.has(kPrevListen);
  Eigen::VectorXf p = net_.probabilities(encode(states));
  int best = -1;
  for (int i = 0; i < static_cast<int>(actions_.size()); ++i) {
    if (actions_[i] == exclude) continue;
    if (after_user && !listens_after_user_ && actions_[i] == "action_listen") continue;
    if (best < 0 || p[i] > p[best]) best = i;
  }
  if (best < 0) return std::nullopt;
  return Prediction{actions_[best], component_, static_cast<double>(p[best]), ""};
}

std::string LearnedPolicy::to_bytes() const {
  ByteWriter out;
  out.u32(kMagic);
  out.u32(kFormatVersion);
  out.str(component_);
  out.u32(static_cast<uint32_t>(max_history_));
  out.u8(listens_after_user_ ? 1 : 0);
  out.u32(example_count_);
  out.u32(static_cast<uint32_t>(epochs_));
  for (const auto* list : {&vocabulary_, &unseen_intents_}) {
    out.u32(static_cast<uint32_t>(list->size()));
    for (Feature f : *list) out.u64(f);
  }
  out.u32(static_cast<uint32_t>(actions_.size()));
  for (const auto& a : actions_) out.str(a);
  net_.write(out);
  return out.take();
}

namespace {

bool read_sorted_features(ByteReader& in, std::vector<Feature>& out) {
  uint32_t n = 0;
  if (!in.u32(n) || !in.can_read(n, 8)) return false;
  out.resize(n);
  for (auto& f : out) in.u64(f);
  return in.ok() && std::is_sorted(out.begin(), out.end());
}

}  // namespace

Result<LearnedPolicy> LearnedPolicy::from_bytes(std::string_view bytes) {
  auto corrupt = [](const std::string& why) { return Status(Code::kCorruption, "learned policy: " + why); };
  ByteReader in(bytes);
  uint32_t magic = 0, version = 0, history = 0, epochs = 0, n_actions = 0;
  uint8_t listens = 0;
  LearnedPolicy lp;
  if (!in.u32(magic) || magic != kMagic) return corrupt("not a learned policy");
  if (!in.u32(version) || version != kFormatVersion) return corrupt("unknown format version");
  if (!in.str(lp.component_) || !in.u32(history) || !in.u8(listens) || !in.u32(lp.example_count_) ||
      !in.u32(epochs))
    return corrupt("truncated header");
  if (history < 1 || history > static_cast<uint32_t>(kMaxHistoryLimit) || listens > 1 || epochs > kMaxEpochsStored)
    return corrupt("bad header");
  lp.max_history_ = static_cast<int>(history);
  lp.listens_after_user_ = listens == 1;
  lp.epochs_ = static_cast<int>(epochs);
  if (!read_sorted_features(in, lp.vocabulary_) || !read_sorted_features(in, lp.unseen_intents_))
    return corrupt("bad feature lists");
  if (!in.u32(n_actions) || !in.can_read(n_actions, 4)) return corrupt("bad action list");
  lp.actions_.resize(n_actions);
  for (auto& a : lp.actions_)
    if (!in.str(a)) return corrupt("truncated action list");
  if (!std::is_sorted(lp.actions_.begin(), lp.actions_.end())) return corrupt("bad action list");
  auto net = Mlp::read(in);
  if (!net.ok()) return corrupt(net.status().message());
  if (net->input_size() != lp.input_size() || net->output_size() != lp.actions_.size())
    return corrupt("network does not fit the vocabulary and actions");
  if (!in.at_end()) return corrupt("trailing bytes");
  lp.net_ = std::move(net).value();
  return lp;
}

}  // namespace parley::dialogue
