// The network of the learned dialogue policy: a sparse input vector, one hidden layer of ReLU
// units and a softmax over the outputs. Training is deterministic: the same examples and options
// give the same weights byte for byte (std::mt19937 with our own uniform floats and Fisher-Yates
// shuffle, single-threaded Adam). An Mlp is immutable after training and safe to share.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include <Eigen/Dense>

#include "core/bytes.h"
#include "core/status.h"

namespace parley::dialogue {

// The non-zero inputs: (index, value), indices below the network's input size.
using SparseInput = std::vector<std::pair<uint32_t, float>>;

struct MlpExample {
  SparseInput input;
  uint32_t label = 0;  // index of the correct output
};

struct MlpOptions {
  int hidden = 64;              // ReLU units
  int epochs = 40;              // passes over the examples
  int batch = 16;               // examples per Adam step
  float learning_rate = 0.01f;  // Adam step size
  float weight_decay = 1e-4f;   // L2 on the weights of touched inputs and the output layer
  uint64_t seed = 17;           // initial weights and the shuffling of each epoch
};

class Mlp {
 public:
  // Trains a network with `inputs` inputs and `outputs` outputs on `examples`.
  static Mlp train(uint32_t inputs, uint32_t outputs, const std::vector<MlpExample>& examples,
                   const MlpOptions& options);

  // The softmax over the outputs for `input`; indices at or past input_size() are ignored.
  Eigen::VectorXf probabilities(const SparseInput& input) const;

  uint32_t input_size() const { return static_cast<uint32_t>(w1_.cols()); }
  uint32_t output_size() const { return static_cast<uint32_t>(w2_.rows()); }

  // Sizes then weights as little-endian floats.
  void write(ByteWriter& out) const;
  // Reads what write() wrote; a Corruption status when the bytes do not describe a network.
  static Result<Mlp> read(ByteReader& in);

 private:
  Eigen::VectorXf hidden(const SparseInput& input) const;  // after the ReLU

  Eigen::MatrixXf w1_;  // hidden x inputs: one column per input, touched only when it is active
  Eigen::VectorXf b1_;
  Eigen::MatrixXf w2_;  // outputs x hidden
  Eigen::VectorXf b2_;
};

}  // namespace parley::dialogue
