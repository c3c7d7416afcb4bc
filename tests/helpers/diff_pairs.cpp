// Writes checkpoint pairs for `nnstate diff` tests (tests/tools/cli_diff.sh): base.nnst, a
// second independent build of it (same.nnst), and one file per kind of state that differs from
// base.nnst in that one value only -- a state the C API cannot set, hence the core library.
// Usage: diff_pairs DIR
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "checkpoint/load.h"
#include "checkpoint/reader.h"
#include "checkpoint/save.h"
#include "train/trainer.h"
#include "util/error.h"

using namespace nnstate;

namespace {

struct Run {
  std::vector<float> x, y;
  Model model{11};
  std::unique_ptr<Trainer> trainer;

  Run() {
    for (int i = 0; i < 48; ++i) {
      x.push_back(static_cast<float>(i % 5) / 5.0f);
      x.push_back(static_cast<float>(i % 7) / 7.0f);
      y.push_back(static_cast<float>((i % 5) + (i % 7) > 5 ? 1 : 0));
    }
    LayerConfig l(LayerKind::linear);
    auto &l_o = l.as<LinearConfig>();
    l_o.in_features = 2;
    l_o.out_features = 4;
    model.add_layer(l);
    LayerConfig relu(LayerKind::relu);
    model.add_layer(relu);
    l_o.in_features = 4;
    l_o.out_features = 2;
    model.add_layer(l);
    model.set_loss(LossKind::cross_entropy);
    model.set_optimizer(default_optimizer_config(OptimizerKind::adam));
    TrainerConfig c;
    c.epochs = 2;
    c.batch_size = 8;
    c.scheduler.kind = SchedulerKind::reduce_on_plateau;
    c.scheduler.patience = 5;
    c.early_stopping = true;
    c.early_stopping_config.patience = 5;
    c.early_stopping_config.restore_best_weights = true;
    trainer = std::make_unique<Trainer>(model, c);
    const Dataset validation = part(32, 16);
    trainer->fit(part(0, 32), &validation, nullptr);
    // A known starting point for the variants below.
    SchedulerState s = trainer->scheduler()->state();
    s.num_bad_epochs = 0;
    trainer->scheduler()->restore(s);
    trainer->state().history[0].accuracy = std::numeric_limits<double>::quiet_NaN();
  }
  Dataset part(int64_t first, int64_t count) const {
    Dataset d;
    d.inputs = x.data() + first * 2;
    d.targets = y.data() + first;
    d.samples = count;
    d.input_size = 2;
    d.target_size = 1;
    return d;
  }

  void save(const std::string &path, const std::string &command) {
    checkpoint::SaveOptions o;
    o.sync = false;
    o.trainer = trainer.get();
    o.metadata = {{"cli.command", command}, {"note", "same"}};
    checkpoint::save(model, path, o);
  }
};

const std::string kCommand =
    "nnstate train --arch 2-4-relu-2 --csv data.csv --epochs 2 --batch-size 8 --checkpoint-dir ";

// Moves one value of a network tensor, or of one parameter's optimizer state, by one ulp.
struct NudgeTensor : StateVisitor {
  std::string name;
  void tensor(const std::string &n, TensorRole, Tensor &value, Tensor *) override {
    if (n == name) value.data()[0] = std::nextafter(value.data()[0], 10.0f);
  }
};
struct NudgeState : OptimizerStateVisitor {
  std::string param, state;
  int64_t step_delta = 0;
  void step(const std::string &p, int64_t &step) override {
    if (p == param) step += step_delta;
  }
  void tensor(const std::string &p, const char *s, Tensor &value) override {
    if (p == param && state == s && step_delta == 0) {
      value.data()[0] = std::nextafter(value.data()[0], 10.0f);
    }
  }
};

double next_up(double v) {
  return std::nextafter(v, std::numeric_limits<double>::infinity());
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: diff_pairs DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  try {
    Run().save(dir + "/base.nnst", kCommand + "ref");
    Run().save(dir + "/same.nnst", kCommand + "ref");
    const std::vector<std::pair<const char *, std::function<void(Run &)>>> variants = {
        {"plateau_bad_epochs",
         [](Run &r) {
           SchedulerState s = r.trainer->scheduler()->state();
           s.num_bad_epochs = 1;
           r.trainer->scheduler()->restore(s);
         }},
        {"early_stopping_wait", [](Run &r) { r.trainer->early_stopping()->state().wait += 1; }},
        {"best_weight",
         [](Run &r) {
           Tensor &t = r.trainer->early_stopping()->state().best_weights.at(0).second;
           t.data()[1] = std::nextafter(t.data()[1], 10.0f);
         }},
        // One batch further into the epoch: the counters move together (the reader refuses a
        // position that no run can reach, such as a global step off the epoch grid).
        {"position",
         [](Run &r) {
           r.trainer->state().batch_in_epoch += 1;
           r.trainer->state().global_step += 1;
           r.trainer->state().epoch_samples += r.trainer->config().batch_size;
         }},
        {"partial_sum",
         [](Run &r) {
           r.trainer->state().epoch_loss_sum = next_up(r.trainer->state().epoch_loss_sum);
         }},
        {"shuffle_rng", [](Run &r) { r.trainer->state().epoch_shuffle_rng.block += 1; }},
        {"dropout_rng",
         [](Run &r) {
           RngState s = r.model.dropout_rng().state();
           s.block += 1;
           r.model.dropout_rng() = Rng(s);
         }},
        {"history_val_loss",
         [](Run &r) {
           HistoryRow &h = r.trainer->state().history[0];
           h.val_loss = next_up(h.val_loss);
         }},
        {"history_nan_payload",
         [](Run &r) {
           uint64_t bits = 0x7ff8000000000001ull;
           std::memcpy(&r.trainer->state().history[0].accuracy, &bits, sizeof bits);
         }},
        {"history_seconds", [](Run &r) { r.trainer->state().history[0].seconds += 1.5; }},
        {"stopped_early", [](Run &r) { r.trainer->state().stopped_early = true; }},
        {"parameter",
         [](Run &r) {
           NudgeTensor n;
           n.name = "2.bias";
           r.model.network().visit_state(n);
         }},
        {"adam_moment",
         [](Run &r) {
           NudgeState n;
           n.param = "0.weight";
           n.state = "exp_avg_sq";
           r.model.optimizer()->visit_state(n);
         }},
        {"adam_step",
         [](Run &r) {
           NudgeState n;
           n.param = "2.bias";
           n.step_delta = 1;
           r.model.optimizer()->visit_state(n);
         }},
        {"optimizer_lr",
         [](Run &r) { r.model.optimizer()->set_lr(next_up(r.model.optimizer()->lr())); }},
    };
    for (const auto &v : variants) {
      Run r;
      v.second(r);
      r.save(dir + "/" + v.first + ".nnst", kCommand + "ref");
    }
    Run().save(dir + "/metadata.nnst", kCommand + "crash");
  } catch (const std::exception &e) {
    std::fprintf(stderr, "diff_pairs: %s\n", e.what());
    return 1;
  }
  return 0;
}
