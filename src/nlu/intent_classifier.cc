// Training fastText from a temporary file and predicting without going through a stream: the
// input ids (words, character n-grams, word n-grams) are built here the way fastText's
// Dictionary::getLine builds them, which the tests check against fastText's own reader.
#include "nlu/intent_classifier.h"

#include <fasttext/fasttext.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <sstream>

namespace parley::nlu {

namespace {

constexpr const char* kLabelPrefix = "__label__";

// A uniquely named temporary file, removed with this object: the training data (fastText reads it
// by name, twice) or the trained model on its way to being reloaded.
class TempFile {
 public:
  ~TempFile() {
    if (!path_.empty()) {
      std::error_code ec;
      std::filesystem::remove(path_, ec);
    }
  }
  Status write(const std::string& contents) {
    std::error_code ec;
    auto dir = std::filesystem::temp_directory_path(ec);
    if (ec) dir = "/tmp";
    std::string templ = (dir / "parley-nlu-XXXXXX").string();
    int fd = ::mkstemp(templ.data());
    if (fd < 0) return Status::io_error("cannot create a temporary file: " + std::string(std::strerror(errno)));
    path_ = templ;
    size_t done = 0;
    while (done < contents.size()) {
      ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(fd);
        return Status::io_error("cannot write the temporary file " + path_);
      }
      done += static_cast<size_t>(n);
    }
    if (::close(fd) != 0) return Status::io_error("cannot write the temporary file " + path_);
    return Status::ok();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Fisher-Yates with mt19937, whose output the standard fixes (std::shuffle's use of it is not).
template <typename T>
void shuffle_deterministic(std::vector<T>& items, uint32_t seed) {
  std::mt19937 rng(seed);
  for (size_t i = items.size(); i > 1; --i) {
    size_t j = rng() % i;
    std::swap(items[i - 1], items[j]);
  }
}

}  // namespace

int default_epochs(size_t lines) {
  if (lines == 0) return 1;
  // About 20k example updates in all: 100 passes over tiny data (a hundred examples), 20 over a
  // thousand. More passes only make the softmax more confident, including on nonsense.
  long epochs = static_cast<long>(20000 / lines);
  return static_cast<int>(std::clamp(epochs, 20L, 100L));
}

IntentClassifier::~IntentClassifier() = default;

Result<std::unique_ptr<IntentClassifier>> IntentClassifier::train(const std::vector<LabeledText>& examples,
                                                                  const ClassifierOptions& options) {
  std::unique_ptr<IntentClassifier> c(new IntentClassifier());
  // Distinct texts per intent, intents in order of first appearance.
  std::map<std::string, size_t> index;
  std::vector<std::vector<std::string>> texts;
  std::set<std::pair<size_t, std::string>> seen;
  for (const auto& ex : examples) {
    if (ex.text.empty() || ex.intent.empty()) continue;
    auto [it, inserted] = index.emplace(ex.intent, c->intents_.size());
    if (inserted) {
      c->intents_.push_back(ex.intent);
      texts.emplace_back();
    }
    if (seen.emplace(it->second, ex.text).second) texts[it->second].push_back(ex.text);
  }
  if (c->intents_.size() < 2) return c;  // nothing to learn: predict() answers without fastText

  // Balance the classes a little: softmax otherwise learns the class sizes as a prior.
  size_t largest = 0;
  for (const auto& t : texts) largest = std::max(largest, t.size());
  std::vector<std::string> lines;
  for (size_t i = 0; i < texts.size(); ++i) {
    size_t reps = std::clamp<size_t>((largest + texts[i].size() / 2) / texts[i].size(), 1,
                                     static_cast<size_t>(std::max(1, options.max_oversample)));
    for (size_t r = 0; r < reps; ++r)
      for (const auto& t : texts[i]) lines.push_back(kLabelPrefix + std::to_string(i) + " " + t + "\n");
  }
  // fastText reads the file in order and decays the learning rate; interleave the intents.
  shuffle_deterministic(lines, static_cast<uint32_t>(options.seed));
  std::string contents;
  for (const auto& l : lines) contents += l;

  TempFile file;
  if (Status s = file.write(contents); !s) return s;

  fasttext::Args args;
  args.input = file.path();
  args.output = "";
  args.model = fasttext::model_name::sup;
  args.loss = fasttext::loss_name::softmax;
  args.lr = options.lr;
  args.lrUpdateRate = 100;
  args.dim = options.dim;
  args.ws = 5;
  args.epoch = options.epochs > 0 ? options.epochs : default_epochs(lines.size());
  args.minCount = 1;
  args.minCountLabel = 0;
  args.neg = 5;
  args.wordNgrams = options.word_ngrams;
  args.bucket = options.bucket;
  args.minn = options.minn;
  args.maxn = options.maxn;
  args.thread = 1;
  args.t = 1e-4;
  args.label = kLabelPrefix;
  args.verbose = 0;
  args.pretrainedVectors = "";
  args.saveOutput = false;
  args.seed = options.seed;

  auto ft = std::make_unique<fasttext::FastText>();
  try {
    ft->train(args);
    // A freshly trained fastText keeps its dictionary's 30M-entry hash table (120 MB); one
    // loaded from a file sizes it to the vocabulary. Reload, and keep only the matrices' memory.
    TempFile saved;
    if (Status s = saved.write(""); !s) return s;
    ft->saveModel(saved.path());
    ft = std::make_unique<fasttext::FastText>();
    ft->loadModel(saved.path());
  } catch (const std::exception& e) {
    return Status::internal(std::string("fastText training failed: ") + e.what());
  }
  c->adopt(std::move(ft));
  return c;
}

void IntentClassifier::adopt(std::unique_ptr<fasttext::FastText> ft) {
  auto dict = ft->getDictionary();
  label_to_intent_.assign(dict->nlabels(), -1);
  for (int32_t l = 0; l < dict->nlabels(); ++l) {
    std::string name = dict->getLabel(l).substr(std::strlen(kLabelPrefix));
    label_to_intent_[l] = std::stoi(name);
  }
  const fasttext::Args& args = ft->getArgs();
  word_ngrams_ = args.wordNgrams;
  maxn_ = args.maxn;
  bucket_ = args.bucket;
  ft_ = std::move(ft);
}

namespace {
constexpr std::string_view kBytesMagic = "parley-intents-1\n";
}  // namespace

Result<std::string> IntentClassifier::to_bytes() const {
  std::string out(kBytesMagic);
  for (const auto& name : intents_) out += name + "\n";
  out += "\n";
  if (!ft_) return out;
  TempFile saved;
  if (Status s = saved.write(""); !s) return s;
  try {
    ft_->saveModel(saved.path());
  } catch (const std::exception& e) {
    return Status::io_error(std::string("cannot save the fastText model: ") + e.what());
  }
  std::ifstream in(saved.path(), std::ios::binary);
  out.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return Status::io_error("cannot read the saved fastText model");
  return out;
}

Result<std::unique_ptr<IntentClassifier>> IntentClassifier::from_bytes(std::string_view bytes) {
  if (bytes.substr(0, kBytesMagic.size()) != kBytesMagic) return Status::invalid("not a Parley intent classifier");
  std::unique_ptr<IntentClassifier> c(new IntentClassifier());
  size_t pos = kBytesMagic.size();
  while (true) {
    size_t nl = bytes.find('\n', pos);
    if (nl == std::string_view::npos) return Status::invalid("the intent classifier's intent list is cut short");
    if (nl == pos) {
      pos = nl + 1;
      break;
    }
    c->intents_.emplace_back(bytes.substr(pos, nl - pos));
    pos = nl + 1;
  }
  if (pos == bytes.size()) {
    if (c->intents_.size() >= 2) return Status::invalid("the intent classifier has no fastText model");
    return c;
  }
  // fastText's file starts with its magic number and format version, which its loadModel(path)
  // checks before handing the stream to loadModel(stream).
  constexpr int32_t kFastTextMagic = 793712314, kFastTextVersion = 12;
  std::string_view model = bytes.substr(pos);
  int32_t head[2] = {0, 0};
  if (model.size() < sizeof head) return Status::invalid("the intent classifier's fastText model is cut short");
  std::memcpy(head, model.data(), sizeof head);
  if (head[0] != kFastTextMagic || head[1] != kFastTextVersion)
    return Status::invalid("the intent classifier's fastText model has another format");
  auto ft = std::make_unique<fasttext::FastText>();
  try {
    std::istringstream in(std::string(model.substr(sizeof head)));
    ft->loadModel(in);
    c->adopt(std::move(ft));
  } catch (const std::exception& e) {
    return Status::invalid(std::string("the intent classifier's fastText model does not load: ") + e.what());
  }
  for (int label : c->label_to_intent_)
    if (label < 0 || static_cast<size_t>(label) >= c->intents_.size())
      return Status::invalid("the intent classifier's labels do not match its intents");
  return c;
}

void IntentClassifier::input_ids(const std::string& normalized, std::vector<int32_t>& ids) const {
  const fasttext::Dictionary& dict = *ft_->getDictionary();
  std::vector<int32_t> hashes;
  std::string token;
  size_t pos = 0;
  bool last = false;
  while (!last) {
    // The words of the normalised text (single spaces), then the end-of-line token every
    // training line ended with.
    size_t space = normalized.find(' ', pos);
    if (pos < normalized.size()) {
      token.assign(normalized, pos, space == std::string::npos ? std::string::npos : space - pos);
      pos = space == std::string::npos ? normalized.size() : space + 1;
    } else {
      token = fasttext::Dictionary::EOS;
      last = true;
    }
    if (token.empty()) continue;
    uint32_t h = dict.hash(token);
    int32_t wid = dict.getId(token, h);
    if (wid >= 0 && dict.getType(wid) == fasttext::entry_type::label) continue;
    if (wid < 0) {
      if (token != fasttext::Dictionary::EOS)
        dict.computeSubwords(fasttext::Dictionary::BOW + token + fasttext::Dictionary::EOW, ids);
    } else if (maxn_ <= 0) {
      ids.push_back(wid);
    } else {
      const auto& sub = dict.getSubwords(wid);
      ids.insert(ids.end(), sub.begin(), sub.end());
    }
    hashes.push_back(static_cast<int32_t>(h));
  }
  // Word n-grams, hashed into the buckets after the words (fastText's scheme, including the
  // sign extension of the 32-bit word hashes).
  const int32_t nwords = dict.nwords();
  for (size_t i = 0; i < hashes.size(); ++i) {
    uint64_t h = static_cast<uint64_t>(static_cast<int64_t>(hashes[i]));
    for (size_t j = i + 1; j < hashes.size() && j < i + static_cast<size_t>(word_ngrams_); ++j) {
      h = h * 116049371 + static_cast<uint64_t>(static_cast<int64_t>(hashes[j]));
      ids.push_back(nwords + static_cast<int32_t>(h % static_cast<uint64_t>(bucket_)));
    }
  }
}

namespace {
void sort_scores(std::vector<IntentScore>& scores) {
  std::sort(scores.begin(), scores.end(), [](const IntentScore& a, const IntentScore& b) {
    if (a.confidence != b.confidence) return a.confidence > b.confidence;
    return a.name < b.name;
  });
}
}  // namespace

std::vector<IntentScore> IntentClassifier::predict(const std::string& normalized, int k) const {
  std::vector<IntentScore> out;
  if (intents_.empty() || k <= 0) return out;
  if (!ft_) {
    out.push_back({intents_.front(), 1.0});
    return out;
  }
  std::vector<int32_t> ids;
  ids.reserve(64);
  input_ids(normalized, ids);
  fasttext::Predictions preds;
  // All labels, so that ties at the k-th place are broken by name rather than by fastText's heap.
  ft_->predict(static_cast<int32_t>(label_to_intent_.size()), ids, preds, 0.0);
  out.reserve(preds.size());
  for (const auto& [logp, label] : preds)
    out.push_back({intents_[label_to_intent_[label]], std::min(1.0, std::exp(static_cast<double>(logp)))});
  sort_scores(out);
  if (out.size() > static_cast<size_t>(k)) out.resize(k);
  return out;
}

std::vector<IntentScore> IntentClassifier::predict_via_stream(const std::string& normalized, int k) const {
  std::vector<IntentScore> out;
  if (intents_.empty() || k <= 0) return out;
  if (!ft_) {
    out.push_back({intents_.front(), 1.0});
    return out;
  }
  std::istringstream in(normalized + "\n");
  std::vector<std::pair<fasttext::real, std::string>> preds;
  ft_->predictLine(in, preds, static_cast<int32_t>(label_to_intent_.size()), 0.0);
  for (const auto& [p, label] : preds)
    out.push_back({intents_[std::stoi(label.substr(std::strlen(kLabelPrefix)))], std::min(1.0, static_cast<double>(p))});
  sort_scores(out);
  if (out.size() > static_cast<size_t>(k)) out.resize(k);
  return out;
}

}  // namespace parley::nlu
