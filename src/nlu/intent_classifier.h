// The intent classifier: a fastText supervised model (softmax, one thread, fixed seed) trained from
// normalised examples, with the degenerate cases (no intent, one intent) handled without fastText.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "nlu/nlu.h"

namespace fasttext {
class FastText;
}

namespace parley::nlu {

struct LabeledText {
  std::string intent;
  std::string text;  // already normalised (nlu::normalize)
};

// Hyper-parameters, chosen for tiny data sets (tens of examples per intent).
struct ClassifierOptions {
  int seed = 17;
  int epochs = 0;           // 0: from the number of training lines (more passes for less data)
  int dim = 32;
  double lr = 0.5;
  int word_ngrams = 2;
  int minn = 3, maxn = 5;   // character n-grams, so unseen words and typos land near known ones
  int bucket = 1 << 16;     // hashed n-gram rows; memory is (words + bucket) * dim floats
  int max_oversample = 4;   // small intents are repeated up to this many times to balance classes
};

// The epochs used when ClassifierOptions::epochs is 0, for `lines` training lines.
int default_epochs(size_t lines);

class IntentClassifier {
 public:
  // Trains on `examples` (texts that normalise to "" are skipped). Deterministic: the same
  // examples and options give the same model. Errors only if fastText itself fails.
  static Result<std::unique_ptr<IntentClassifier>> train(const std::vector<LabeledText>& examples,
                                                         const ClassifierOptions& options);
  ~IntentClassifier();
  IntentClassifier(const IntentClassifier&) = delete;
  IntentClassifier& operator=(const IntentClassifier&) = delete;

  // Probabilities of the most likely intents for a normalised text, best first (ties by name),
  // at most `k`. Empty when there are no intents. Thread-safe.
  std::vector<IntentScore> predict(const std::string& normalized, int k) const;

  // The same through fastText's own stream reader (slower); for checking predict() against it.
  std::vector<IntentScore> predict_via_stream(const std::string& normalized, int k) const;

  // Intents in order of their first example.
  const std::vector<std::string>& intents() const { return intents_; }

  // The trained classifier as bytes (the intents, then fastText's own model file), and back:
  // from_bytes(to_bytes()) predicts exactly as the original. Malformed bytes are an error.
  Result<std::string> to_bytes() const;
  static Result<std::unique_ptr<IntentClassifier>> from_bytes(std::string_view bytes);

 private:
  IntentClassifier() = default;
  void adopt(std::unique_ptr<fasttext::FastText> ft);
  void input_ids(const std::string& normalized, std::vector<int32_t>& ids) const;

  std::vector<std::string> intents_;
  std::unique_ptr<fasttext::FastText> ft_;  // null when fewer than two intents
  std::vector<int> label_to_intent_;        // fastText label id -> index in intents_
  int word_ngrams_ = 1, maxn_ = 0;
  int64_t bucket_ = 0;
};

}  // namespace parley::nlu
