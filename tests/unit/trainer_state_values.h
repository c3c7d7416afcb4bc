// What resume tests compare: every value a trainer's model holds, in visiting order, and an
// observer that stops a fit after a given step (a kill point chosen by progress).
#pragma once

#include <string>
#include <vector>

#include "train/trainer.h"

namespace nnstate {

// Appends the network's tensors (parameters and buffers), then the optimizer's steps and
// moments, as T (float or double: both hold every float exactly).
template <class T>
void append_model_state(Trainer &t, std::vector<T> &out) {
  struct Net : StateVisitor {
    std::vector<T> *out;
    void tensor(const std::string &, TensorRole, Tensor &v, Tensor *) override {
      out->insert(out->end(), v.data(), v.data() + v.numel());
    }
  } net;
  net.out = &out;
  t.model().network().visit_state(net);
  struct Opt : OptimizerStateVisitor {
    std::vector<T> *out;
    void step(const std::string &, int64_t &s) override { out->push_back(static_cast<T>(s)); }
    void tensor(const std::string &, const char *, Tensor &v) override {
      out->insert(out->end(), v.data(), v.data() + v.numel());
    }
  } opt;
  opt.out = &out;
  t.model().optimizer()->visit_state(opt);
}

// Returning false from on_batch_end stops the fit, resumably, once `step` batches are done.
struct StopAtStep : TrainerObserver {
  int64_t step = 0;
  bool on_batch_end(const BatchInfo &info) override { return info.global_step < step; }
};

}  // namespace nnstate
