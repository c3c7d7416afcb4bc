// Adam and AdamW exactly as torch.optim.Adam / AdamW (PyTorch 1.13, single-tensor path).
#pragma once

#include "optim/optimizer.h"

namespace nnstate {

class Adam final : public Optimizer {
 public:
  // config.kind is adam (coupled L2 weight decay) or adamw (decoupled weight decay).
  Adam(const OptimizerConfig &config, std::vector<TensorRef> params);
  void step() override;
  void visit_state(OptimizerStateVisitor &visitor) override;

 private:
  struct State {
    TensorRef param;
    size_t group = 0;  // index into group_options()
    int64_t step = 0;
    Tensor exp_avg, exp_avg_sq, max_exp_avg_sq;
  };
  void update(State &s);
  std::vector<State> states_;
};

}  // namespace nnstate
