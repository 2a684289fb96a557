// The CRF entity extractor (nlu/crf_extractor.h): BILOU tags from annotations, attribute interning,
// training, decoding tags back to entities, and the binary encoding.
#include "nlu/crf_extractor.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "nlu/tokens.h"

namespace parley::nlu {

namespace {

constexpr uint32_t kMagic = 0x58524350;  // "PCRX"
constexpr uint32_t kVersion = 1;

using TypeKey = std::tuple<std::string, std::optional<std::string>, std::optional<std::string>>;

TypeKey type_key(const project::EntityAnnotation& a) { return {a.entity, a.role, a.group}; }

// BILOU labels of `tokens` from the example's annotations; an annotation that covers no token or
// overlaps an earlier one is left out.
std::vector<uint16_t> gold_labels(const std::vector<Token>& tokens, const project::NluExample& ex,
                                  const std::map<TypeKey, int>& types) {
  std::vector<uint16_t> labels(tokens.size(), 0);
  for (const auto& ann : ex.entities) {
    auto it = types.find(type_key(ann));
    if (it == types.end()) continue;
    size_t first = tokens.size(), last = 0;
    for (size_t t = 0; t < tokens.size(); ++t)
      if (tokens[t].start < ann.end && tokens[t].end > ann.start) first = std::min(first, t), last = t;
    if (first == tokens.size()) continue;
    if (std::any_of(labels.begin() + first, labels.begin() + last + 1, [](uint16_t l) { return l != 0; })) continue;
    const int k = it->second;
    if (first == last) {
      labels[first] = static_cast<uint16_t>(crf::label_of(k, crf::kU));
      continue;
    }
    labels[first] = static_cast<uint16_t>(crf::label_of(k, crf::kB));
    for (size_t t = first + 1; t < last; ++t) labels[t] = static_cast<uint16_t>(crf::label_of(k, crf::kI));
    labels[last] = static_cast<uint16_t>(crf::label_of(k, crf::kL));
  }
  return labels;
}

// Renumbers attributes so that only those with a state weight remain (L1 zeroes most of them).
crf::Model drop_unused_attributes(const crf::Model& model, std::vector<uint64_t>& keys) {
  const crf::Layout& lay = model.layout();
  crf::Layout out;
  out.num_types = lay.num_types;
  out.attr_label = lay.attr_label;
  out.attr_begin.push_back(0);
  std::vector<uint64_t> kept;
  for (uint32_t a = 0; a < lay.attributes(); ++a) {
    if (lay.attr_begin[a] == lay.attr_begin[a + 1]) continue;
    kept.push_back(keys[a]);
    out.attr_begin.push_back(lay.attr_begin[a + 1]);
  }
  keys = std::move(kept);
  return crf::Model(std::move(out), model.weights());
}

void write_optional(ByteWriter& out, const std::optional<std::string>& s) {
  out.u8(s ? 1 : 0);
  if (s) out.str(*s);
}

bool read_optional(ByteReader& in, std::optional<std::string>& s) {
  uint8_t has;
  if (!in.u8(has) || has > 1) return false;
  if (has == 0) return true;
  s.emplace();
  return in.str(*s);
}

}  // namespace

Result<CrfEntityExtractor> CrfEntityExtractor::train(const project::NluData& data, const project::Domain& domain,
                                                     const project::Config& config, const CrfFeatureOptions& features) {
  CrfEntityExtractor x;
  x.extractor_ = config.entity_learner_component;
  Result<CrfFeaturizer> featurizer = CrfFeaturizer::build(data, domain, features);
  if (!featurizer.ok()) return featurizer.status();
  x.featurizer_ = std::move(featurizer.value());

  std::map<TypeKey, int> types;
  for (const auto& ex : data.examples)
    for (const auto& ann : ex.entities)
      if (domain.has_entity(ann.entity)) types.emplace(type_key(ann), 0);
  if (types.empty()) return x;
  for (auto& [key, index] : types) {
    index = static_cast<int>(x.types_.size());
    x.types_.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key)});
  }

  if (features.intent && features.intent_types) {
    for (const auto& ex : data.examples) {
      std::vector<uint16_t>& allowed = x.intent_types_[ex.intent];
      for (const auto& ann : ex.entities)
        if (auto it = types.find(type_key(ann)); it != types.end()) allowed.push_back(static_cast<uint16_t>(it->second));
    }
    for (auto& [intent, allowed] : x.intent_types_) {
      std::sort(allowed.begin(), allowed.end());
      allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
      if (allowed.empty()) allowed.push_back(static_cast<uint16_t>(x.types_.size()));
    }
  }

  std::vector<crf::Sequence> sequences;
  std::vector<uint64_t> keys;
  for (const auto& ex : data.examples) {
    const std::vector<Token> tokens = tokenize(ex.text);
    if (tokens.empty()) continue;
    crf::Sequence seq;
    keys.clear();
    x.featurizer_.featurize(ex.text, tokens, ex.intent, keys, seq.ends);
    seq.attrs.reserve(keys.size());
    for (uint64_t key : keys) {
      auto [it, added] = x.attr_ids_.emplace(key, static_cast<uint32_t>(x.attr_keys_.size()));
      if (added) x.attr_keys_.push_back(key);
      seq.attrs.push_back(it->second);
    }
    seq.labels = gold_labels(tokens, ex, types);
    seq.types = x.allowed_types(ex.intent);
    sequences.push_back(std::move(seq));
  }
  crf::TrainOptions options;
  options.max_iterations = config.crf_max_iterations;
  options.c1 = config.crf_l1;
  options.c2 = config.crf_l2;
  const crf::Model model = crf::Model::train(sequences, static_cast<int>(x.types_.size()),
                                             static_cast<uint32_t>(x.attr_keys_.size()), options);
  x.model_ = drop_unused_attributes(model, x.attr_keys_);
  x.attr_ids_.clear();
  for (uint32_t id = 0; id < x.attr_keys_.size(); ++id) x.attr_ids_.emplace(x.attr_keys_[id], id);
  x.restrict_by_intent();
  return x;
}

void CrfEntityExtractor::restrict_by_intent() {
  restrictions_.clear();
  for (const auto& [intent, allowed] : intent_types_)
    if (allowed[0] < types_.size()) restrictions_.emplace(intent, model_.restrict_to(allowed));
}

crf::Sequence CrfEntityExtractor::sequence(std::string_view text, const std::vector<Token>& tokens,
                                           std::string_view intent) const {
  thread_local std::vector<uint64_t> keys;
  keys.clear();
  crf::Sequence seq;
  std::vector<uint32_t> key_ends;
  featurizer_.featurize(text, tokens, intent, keys, key_ends);
  seq.attrs.reserve(keys.size());
  seq.types = allowed_types(intent);
  size_t k = 0;
  for (uint32_t end : key_ends) {
    for (; k < end; ++k)
      if (auto it = attr_ids_.find(keys[k]); it != attr_ids_.end()) seq.attrs.push_back(it->second);
    seq.ends.push_back(static_cast<uint32_t>(seq.attrs.size()));
  }
  return seq;
}

std::vector<uint16_t> CrfEntityExtractor::allowed_types(std::string_view intent) const {
  auto it = intent_types_.find(intent);
  return it == intent_types_.end() ? std::vector<uint16_t>{} : it->second;
}

std::vector<Entity> CrfEntityExtractor::extract(std::string_view text, std::string_view intent) const {
  if (types_.empty()) return {};
  if (auto it = intent_types_.find(intent); it != intent_types_.end() && it->second[0] >= types_.size()) return {};
  const std::vector<Token> tokens = tokenize(text);
  if (tokens.empty()) return {};
  const crf::Sequence seq = sequence(text, tokens, intent);
  auto restricted = restrictions_.find(intent);
  const crf::Decoded decoded = model_.decode(seq, true, restricted == restrictions_.end() ? nullptr : &restricted->second);
  if (decoded.confidence.empty()) return {};  // every token O
  const std::vector<uint16_t>& y = decoded.labels;
  const std::vector<double>& marginals = decoded.confidence;
  std::vector<Entity> out;
  for (size_t t = 0; t < y.size(); ++t) {
    const crf::Shape shape = crf::shape_of(y[t]);
    if (shape != crf::kB && shape != crf::kU) continue;
    size_t last = t;
    while (last + 1 < y.size() && crf::shape_of(y[last]) != crf::kU && crf::shape_of(y[last]) != crf::kL) ++last;
    const Type& type = types_[crf::type_of(y[t])];
    Entity e;
    e.entity = type.entity;
    e.role = type.role;
    e.group = type.group;
    e.start = tokens[t].start;
    e.end = tokens[last].end;
    e.text = std::string(text.substr(e.start, e.end - e.start));
    e.value = e.text;
    e.confidence = 1.0;
    for (size_t i = t; i <= last; ++i) e.confidence = std::min(e.confidence, marginals[i]);
    e.extractor = extractor_;
    out.push_back(std::move(e));
    t = last;
  }
  return out;
}

std::string CrfEntityExtractor::to_bytes() const {
  ByteWriter out;
  out.u32(kMagic);
  out.u32(kVersion);
  out.str(extractor_);
  out.u32(static_cast<uint32_t>(types_.size()));
  if (types_.empty()) return out.take();
  for (const Type& t : types_) {
    out.str(t.entity);
    write_optional(out, t.role);
    write_optional(out, t.group);
  }
  featurizer_.write(out);
  out.u32(static_cast<uint32_t>(intent_types_.size()));
  for (const auto& [intent, allowed] : intent_types_) {
    out.str(intent);
    out.u32(static_cast<uint32_t>(allowed.size()));
    for (uint16_t k : allowed) out.u32(k);
  }
  out.u32(static_cast<uint32_t>(attr_keys_.size()));
  for (uint64_t key : attr_keys_) out.u64(key);
  model_.write(out);
  return out.take();
}

Result<CrfEntityExtractor> CrfEntityExtractor::from_bytes(std::string_view bytes) {
  const Status bad(Code::kCorruption, "crf entity extractor: truncated or invalid");
  ByteReader in(bytes);
  uint32_t magic, version, types, attrs;
  CrfEntityExtractor x;
  if (!in.u32(magic) || magic != kMagic || !in.u32(version) || !in.str(x.extractor_)) return bad;
  if (version != kVersion) return Status(Code::kCorruption, "crf entity extractor: unknown version");
  if (!in.count(types, 6)) return bad;
  if (types == 0) return in.at_end() ? Result<CrfEntityExtractor>(std::move(x)) : bad;
  x.types_.resize(types);
  for (Type& t : x.types_)
    if (!in.str(t.entity) || !read_optional(in, t.role) || !read_optional(in, t.group)) return bad;
  Result<CrfFeaturizer> featurizer = CrfFeaturizer::read(in);
  if (!featurizer.ok()) return featurizer.status();
  x.featurizer_ = std::move(featurizer.value());
  uint32_t intents;
  if (!in.count(intents, 8)) return bad;
  for (uint32_t i = 0; i < intents; ++i) {
    std::string intent;
    uint32_t n;
    if (!in.str(intent) || !in.count(n, 4) || n == 0) return bad;
    std::vector<uint16_t>& allowed = x.intent_types_[intent];
    for (uint32_t j = 0; j < n; ++j) {
      uint32_t k;
      if (!in.u32(k) || k > types) return bad;
      allowed.push_back(static_cast<uint16_t>(k));
    }
  }
  if (!in.count(attrs, 8)) return bad;
  x.attr_keys_.resize(attrs);
  for (uint64_t& key : x.attr_keys_)
    if (!in.u64(key)) return bad;
  for (uint32_t id = 0; id < attrs; ++id)
    if (!x.attr_ids_.emplace(x.attr_keys_[id], id).second) return bad;
  Result<crf::Model> model = crf::Model::read(in);
  if (!model.ok()) return model.status();
  x.model_ = std::move(model.value());
  if (!in.at_end() || x.model_.num_types() != static_cast<int>(types) || x.model_.layout().attributes() != attrs)
    return bad;
  x.restrict_by_intent();
  return x;
}

}  // namespace parley::nlu
