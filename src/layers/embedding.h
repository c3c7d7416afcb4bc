// nn.Embedding: a table weight [num_embeddings, embedding_dim] looked up by integer indices.
// Input: float tensor [N, ...] (rank 1 to 3) whose values are indices; output [N, ...,
// embedding_dim]. Every value must be an integer in [0, num_embeddings): forward refuses any
// other with an Error naming the value and its position, before writing any output.
// Initialised N(0, 1) like PyTorch, with the padding_idx row (if set) zeroed; that row gets no
// gradient. Indices are not differentiable: backward fills grad_input with zeros, so an
// Embedding may sit after other layers without breaking their backward pass.
#pragma once

#include "layers/layer.h"
#include "layers/layer_state.h"

namespace nnstate {

struct EmbeddingConfig {
  int64_t num_embeddings = 0;    // rows of the table
  int64_t embedding_dim = 0;     // columns of the table
  bool has_padding_idx = false;  // whether padding_idx is set
  int64_t padding_idx = 0;       // the row kept at zero with no gradient (stored in [0, n))
  auto fields() const {
    return std::tie(num_embeddings, embedding_dim, has_padding_idx, padding_idx);
  }
};

class Embedding final : public Layer {
 public:
  // padding_idx may be negative: it counts from the end, as in PyTorch (config() reports it
  // in [0, num_embeddings)). Draws weight row by row from init_rng->normal() (zero when
  // init_rng is null).
  Embedding(const EmbeddingConfig &config, Rng *init_rng);

  LayerConfig config() const override;
  Shape output_shape(const Shape &input) const override;
  void forward(const Tensor &input, Tensor &output, const RunContext &context) override;
  // weight grad = sum over the positions holding index r of their output gradient row, except
  // for the padding row, which stays zero.
  void backward(const Tensor &input, const Tensor &output, const Tensor &grad_output,
                Tensor *grad_input) override;
  void visit_tensors(const std::string &prefix, StateVisitor &visitor) override;
  // The tensors visit_tensors reports for a layer of `config` (which the constructor
  // accepts), without building it: shapes only (layers/layer_state.h).
  static void declare(const EmbeddingConfig &config, const std::string &prefix,
                      StateVisitor &visitor);

 private:
  // The one list of its tensors (layers/layer_state.h).
  static StateTensors<Embedding> tensors(const EmbeddingConfig &config);
  EmbeddingConfig options() const;
  std::string describe() const;
  // Throws the Error for the first value of `input` that is not a valid index.
  void check_indices(const Tensor &input) const;

  int64_t num_embeddings_, embedding_dim_;
  bool has_padding_idx_;
  int64_t padding_idx_;
  Tensor weight_, weight_grad_;
};

}  // namespace nnstate
