#include "layers/embedding.h"

#include <climits>
#include <cmath>
#include <cstring>
#include <sstream>

#include "layers/layer_config.h"
#include "layers/layer_memory.h"
#include "random/rng.h"
#include "util/error.h"

namespace nnstate {
namespace {

// "[1, 2]": the multi-index of flat element `flat` of `shape`.
std::string position_string(const Shape &shape, int64_t flat) {
  int64_t index[Shape::kMaxRank] = {};
  for (int d = shape.rank - 1; d >= 0; --d) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  std::string s = "[";
  for (int d = 0; d < shape.rank; ++d) s += (d ? ", " : "") + std::to_string(index[d]);
  return s + "]";
}

std::string value_string(float v) {
  std::ostringstream out;
  out.precision(9);
  out << v;
  return out.str();
}

}  // namespace

Embedding::Embedding(const EmbeddingConfig &c, Rng *init_rng)
    : num_embeddings_(c.num_embeddings),
      embedding_dim_(c.embedding_dim),
      has_padding_idx_(c.has_padding_idx),
      padding_idx_(c.padding_idx) {
  const auto in_range = [](int64_t v) { return v >= 1 && v <= INT_MAX; };
  if (!in_range(num_embeddings_) || !in_range(embedding_dim_)) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT,
         describe() + ": num_embeddings and embedding_dim must be in [1, 2^31 - 1]");
  }
  if (has_padding_idx_) {
    if (padding_idx_ < -num_embeddings_ || padding_idx_ >= num_embeddings_) {
      fail(NNSTATE_ERR_INVALID_ARGUMENT,
           describe() + ": padding_idx " + std::to_string(padding_idx_) + " must be in [-" +
               std::to_string(num_embeddings_) + ", " + std::to_string(num_embeddings_) + ")");
    }
    if (padding_idx_ < 0) padding_idx_ += num_embeddings_;
  }
  const Shape shape{num_embeddings_, embedding_dim_};
  check_layer_memory(describe(), {shape}, 2 * sizeof(float));  // values and gradients
  tensors(options()).allocate(*this);
  if (init_rng) {
    for (int64_t i = 0; i < weight_.numel(); ++i) weight_[i] = init_rng->normal();
  }
  if (has_padding_idx_) {
    std::memset(weight_.data() + padding_idx_ * embedding_dim_, 0,
                static_cast<size_t>(embedding_dim_) * sizeof(float));
  }
}

EmbeddingConfig Embedding::options() const {
  EmbeddingConfig c;
  c.num_embeddings = num_embeddings_;
  c.embedding_dim = embedding_dim_;
  c.has_padding_idx = has_padding_idx_;
  c.padding_idx = has_padding_idx_ ? padding_idx_ : 0;
  return c;
}

LayerConfig Embedding::config() const {
  return LayerConfig(LayerKind::embedding, options());
}

std::string Embedding::describe() const {
  std::string s =
      "Embedding(" + std::to_string(num_embeddings_) + ", " + std::to_string(embedding_dim_);
  if (has_padding_idx_) s += ", padding_idx=" + std::to_string(padding_idx_);
  return s + ")";
}

Shape Embedding::output_shape(const Shape &input) const {
  if (input.rank < 1 || input.rank >= Shape::kMaxRank) {
    fail(NNSTATE_ERR_SHAPE_MISMATCH,
         describe() + " expects indices [N] to [N, d1, d2], got " + input.to_string());
  }
  Shape out = input;
  out.dims[out.rank++] = embedding_dim_;
  return out;
}

void Embedding::check_indices(const Tensor &input) const {
  const float *x = input.data();
  for (int64_t i = 0; i < input.numel(); ++i) {
    const float v = x[i];
    // False for NaN too. In double both sides are exact.
    if (v >= 0.0f && static_cast<double>(v) < static_cast<double>(num_embeddings_) &&
        v == std::floor(v)) {
      continue;
    }
    const std::string what = v == std::floor(v)
                                 ? " is out of range [0, " + std::to_string(num_embeddings_) + ")"
                                 : " is not an integer";
    fail(NNSTATE_ERR_INVALID_ARGUMENT, describe() + ": index " + value_string(v) + " at position " +
                                           position_string(input.shape(), i) + what);
  }
}

void Embedding::forward(const Tensor &input, Tensor &output, const RunContext &) {
  check_indices(input);
  const size_t row_bytes = static_cast<size_t>(embedding_dim_) * sizeof(float);
  for (int64_t i = 0; i < input.numel(); ++i) {
    const int64_t row = static_cast<int64_t>(input[i]);
    std::memcpy(output.data() + i * embedding_dim_, weight_.data() + row * embedding_dim_,
                row_bytes);
  }
}

void Embedding::backward(const Tensor &input, const Tensor &, const Tensor &grad_output,
                         Tensor *grad_input) {
  check_indices(input);  // backward may be given an input forward never saw
  weight_grad_.zero();
  for (int64_t i = 0; i < input.numel(); ++i) {
    const int64_t row = static_cast<int64_t>(input[i]);
    if (has_padding_idx_ && row == padding_idx_) continue;
    const float *dy = grad_output.data() + i * embedding_dim_;
    float *dw = weight_grad_.data() + row * embedding_dim_;
    for (int64_t j = 0; j < embedding_dim_; ++j) dw[j] += dy[j];
  }
  if (grad_input) grad_input->zero();
}

StateTensors<Embedding> Embedding::tensors(const EmbeddingConfig &c) {
  StateTensors<Embedding> t;
  t.add("weight", Shape{c.num_embeddings, c.embedding_dim}, &Embedding::weight_,
        &Embedding::weight_grad_);
  return t;
}

void Embedding::visit_tensors(const std::string &prefix, StateVisitor &visitor) {
  tensors(options()).visit(*this, prefix, visitor);
}

void Embedding::declare(const EmbeddingConfig &config, const std::string &prefix,
                        StateVisitor &visitor) {
  tensors(config).declare(prefix, visitor);
}

}  // namespace nnstate
