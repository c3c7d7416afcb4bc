// A trainable model: the network, its loss, its optimizer and the random streams, i.e. the unit
// of training state that a checkpoint captures and a C API network handle owns.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "layers/graph.h"
#include "layers/layer_config.h"
#include "losses/loss.h"
#include "optim/optimizer.h"
#include "parallel/chunked_network.h"
#include "random/rng.h"

namespace nnstate {

class Model {
 public:
  // `seed` derives every random stream (initialisation, shuffling, dropout).
  explicit Model(uint64_t seed);

  Graph &network() { return network_; }
  uint64_t seed() const { return seed_; }
  Rng &init_rng() { return init_rng_; }
  Rng &dropout_rng() { return dropout_rng_; }

  // Builds a layer (initialised from the init stream) and appends it. Refused once an
  // optimizer is set, since its state would no longer cover every parameter.
  void add_layer(const LayerConfig &config);
  // The same for a node of a graph: it takes `inputs` (earlier node indices, or
  // Graph::kNetworkInput) and is named `name` ("" for its index). Returns its index.
  size_t add_node(const LayerConfig &config, const std::vector<int32_t> &inputs,
                  const std::string &name);
  void set_loss(LossKind kind);
  // Replaces the optimizer with a new one whose state starts empty.
  void set_optimizer(const OptimizerConfig &config);
  Loss *loss() { return loss_.get(); }
  Optimizer *optimizer() { return optimizer_.get(); }

  // Frozen parameters (PyTorch requires_grad=False): the parameters `patterns` select (tensor or
  // module names, optim/param_groups.h) stop (requires_grad false) or start training. Frozen
  // parameters get no update and no optimizer state; when the set changes under an optimizer,
  // the tensors that stay trainable keep their state and newly trainable ones start fresh
  // (step 0, zero moments), as a torch optimizer does for a parameter without state. Throws
  // NOT_FOUND naming a pattern that selects no parameter.
  void set_requires_grad(const std::vector<std::string> &patterns, bool requires_grad);
  // The frozen parameters' names, sorted; set_frozen replaces them (e.g. from a checkpoint;
  // each must be a parameter).
  const std::vector<std::string> &frozen() const { return frozen_; }
  void set_frozen(std::vector<std::string> names);
  bool is_frozen(const std::string &name) const;
  // BatchNorm layers whose parameters are all frozen run in eval mode while training (running
  // statistics used and not updated), as fine-tuning recipes do with module.eval().
  void set_frozen_batchnorm_eval(bool eval);
  bool frozen_batchnorm_eval() const { return frozen_batchnorm_eval_; }
  // The parameters that train, in visit_state order: what the optimizer and clipping see.
  std::vector<TensorRef> trainable_parameters();

  // The mode of evaluate() and predict(): false (default) is PyTorch's model.eval(); true is
  // model.train() (batch statistics, running-statistics updates, dropout from the dropout
  // stream). train_step always runs in training mode.
  void set_inference_training(bool training) { inference_training_ = training; }
  bool inference_training() const { return inference_training_; }

  // The deterministic-across-scale mode (parallel/chunked_network.h): every pass over a batch
  // runs in chunks of `chunk_size` samples on `threads` threads (0: OpenBLAS's thread count),
  // with results that do not depend on the thread count. chunk_size 0 turns it off (the
  // default: one pass over the whole batch, with OpenBLAS's own threading).
  void set_deterministic(int64_t chunk_size, int64_t threads);
  int64_t deterministic_chunk_size() const { return chunked_ ? chunked_->chunk_size() : 0; }
  int64_t deterministic_threads() const { return chunked_ ? chunked_->threads() : 0; }
  // The processes of a data-parallel run that share each pass's chunks in the deterministic
  // mode (parallel/collective.h); null: none.
  void set_collective(std::shared_ptr<Collective> collective);
  // BatchNorm statistics over all ranks (true) or per rank (false, the default: DDP's); see
  // parallel/chunked_network.h. A runtime setting like the collective: not checkpointed.
  void set_batchnorm_synchronised(bool synchronised);
  bool batchnorm_synchronised() const { return batchnorm_synchronised_; }

  // Forward, loss, backward and one optimizer update on a mini-batch of `batch` samples.
  // Returns the mean loss before the update. Sizes are checked (inputs: batch * sample input
  // size; targets: loss->target_count of the output). When `correct` is non-null it receives
  // the number of correct predictions of that forward pass (see losses/metrics.h).
  float train_step(const float *inputs, int64_t input_count, const float *targets,
                   int64_t target_count, int64_t batch, int64_t *correct = nullptr);
  // train_step in parts, for a loop that accumulates or clips gradients between them:
  // forward_loss runs the forward pass in training mode and the loss (checked and counted as in
  // train_step) and keeps the loss gradient; backward then sets every parameter's gradient from
  // it, scaled by `loss_scale` (as backward of loss * loss_scale would); the optimizer's step()
  // applies them.
  float forward_loss(const float *inputs, int64_t input_count, const float *targets,
                     int64_t target_count, int64_t batch, int64_t *correct = nullptr);
  void backward(float loss_scale = 1.0f);
  // Mean loss in the inference mode (see above), no update; `correct` as for train_step.
  float evaluate(const float *inputs, int64_t input_count, const float *targets,
                 int64_t target_count, int64_t batch, int64_t *correct = nullptr);
  // Outputs in the inference mode (see above): batch * sample output size floats.
  void predict(const float *inputs, int64_t input_count, int64_t batch, float *outputs,
               int64_t output_count);

 private:
  const Tensor &run_forward(const float *inputs, int64_t input_count, int64_t batch, bool training);
  void check_inputs(int64_t input_count, int64_t batch) const;
  void check_targets(const Shape &output, int64_t target_count) const;
  void check_outputs(const Shape &output, int64_t output_count) const;
  Loss &require_loss();

  uint64_t seed_;
  Rng init_rng_;
  Rng dropout_rng_;
  Graph network_;
  std::unique_ptr<Loss> loss_;
  std::unique_ptr<Optimizer> optimizer_;
  bool inference_training_ = false;
  std::shared_ptr<Collective> collective_;
  bool batchnorm_synchronised_ = false;
  std::unique_ptr<ChunkedNetwork> chunked_;  // the deterministic mode, when on

  std::vector<std::string> frozen_;  // sorted
  bool frozen_batchnorm_eval_ = false;
  void frozen_changed();
};

}  // namespace nnstate
