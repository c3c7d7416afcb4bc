// SGD exactly as torch.optim.SGD: weight decay, momentum (first buffer is the raw gradient,
// no dampening on the first step), dampening, nesterov, maximize.
#pragma once

#include "optim/optimizer.h"

namespace nnstate {

class SGD final : public Optimizer {
 public:
  SGD(const OptimizerConfig &config, std::vector<TensorRef> params);
  void step() override;
  void visit_state(OptimizerStateVisitor &visitor) override;

 private:
  struct State {
    TensorRef param;
    size_t group = 0;  // index into group_options()
    int64_t step = 0;  // 0 means PyTorch's "no momentum buffer yet"
    Tensor momentum_buffer;
  };
  void update(State &s);
  std::vector<State> states_;
};

}  // namespace nnstate
