#include "train_options.h"

#include <cstdint>
#include <limits>

#include "arch_spec.h"

namespace nnstate_cli {

const CommandSpec kTrainSpec = {
    "train",
    "(--arch SPEC | --model FILE) (--images FILE --labels FILE | --csv FILE) [options]",
    "Trains a multi-layer perceptron (--arch) or any network described by a JSON document\n"
    "(--model: CNNs, residual graphs) on IDX (MNIST format, gzip accepted) or CSV data and\n"
    "prints one line per epoch (a progress bar as well when stdout is a terminal).\n"
    "\n"
    "Architecture SPEC: widths and activations joined by '-'. The first number is the input\n"
    "size, every later number a Linear layer (with bias), every name an activation:\n"
    "relu, tanh, sigmoid, gelu, gelu:tanh, leaky_relu, leaky_relu:SLOPE (default 0.01).\n"
    "Example: 784-256-relu-128-relu-10.\n"
    "\n"
    "Model FILE: {\"input_shape\": [1, 28, 28], \"nodes\": [{\"kind\": \"Conv2d\", ...}, ...]},\n"
    "each node with PyTorch's class name and arguments, a \"name\" and \"inputs\" (see\n"
    "tools/README.md). IDX images keep their shape: 28x28 images feed input_shape\n"
    "[1, 28, 28] (or a flat [784]).",
    {
        {"Model",
         {
             {"arch", "SPEC", "the architecture (see above); optional with --resume"},
             {"model", "FILE",
              "the network as a JSON document (see above), instead of --arch;\n"
              "optional with --resume"},
             {"loss", "NAME",
              "cross_entropy, mse or bce_with_logits (default: cross_entropy when\n"
              "every target is an integer class label and there are several outputs,\n"
              "else mse)"},
             {"seed", "N", "seed of initialisation and shuffling (default 0)"},
         }},
        {"Data",
         {
             {"images", "FILE", "training inputs, IDX (e.g. train-images-idx3-ubyte.gz)"},
             {"labels", "FILE", "training labels, IDX (e.g. train-labels-idx1-ubyte.gz)"},
             {"csv", "FILE", "training data as CSV, targets in the last column(s)"},
             {"target-columns", "N", "CSV: how many trailing columns are targets (default 1)"},
             {"csv-header", "MODE",
              "auto (default: a first line without numbers is a header), yes, no"},
             {"val-images", "FILE", "validation inputs, IDX"},
             {"val-labels", "FILE", "validation labels, IDX"},
             {"val-csv", "FILE", "validation data as CSV"},
             {"validation-split", "F",
              "use the last fraction F of the training data for validation"},
         }},
        {"Optimizer (PyTorch semantics)",
         {
             {"optimizer", "NAME", "adam (default), adamw or sgd"},
             {"lr", "F", "learning rate (default 0.001)"},
             {"weight-decay", "F", "L2 penalty; decoupled for adamw (default 0; adamw 0.01)"},
             {"beta1", "F", "adam, adamw (default 0.9)"},
             {"beta2", "F", "adam, adamw (default 0.999)"},
             {"eps", "F", "adam, adamw (default 1e-8)"},
             {"amsgrad", nullptr, "adam, adamw: use AMSGrad"},
             {"momentum", "F", "sgd (default 0)"},
             {"dampening", "F", "sgd (default 0)"},
             {"nesterov", nullptr, "sgd: Nesterov momentum"},
         }},
        fine_tuning_option_group(),
        {"Training",
         {
             {"epochs", "N", "total epochs (default 10)"},
             {"batch-size", "N", "samples per batch (default 32)"},
             {"no-shuffle", nullptr, "keep the data order (default: reshuffle every epoch)"},
             {"drop-last", nullptr, "drop each epoch's last incomplete batch"},
             {"deterministic", "CHUNK",
              "the deterministic-across-scale mode: each batch runs as chunks of CHUNK\n"
              "samples added in one fixed order, so any --threads gives the same bits"},
             {"threads", "N",
              "--deterministic: library threads (default: OpenBLAS's, e.g.\n"
              "OPENBLAS_NUM_THREADS); idle threads sleep instead of spinning"},
         }},
        {"Gradients (PyTorch semantics)",
         {
             {"clip-grad-norm", "F",
              "clip_grad_norm_: scale the gradients to a total norm of at most F"},
             {"clip-norm-type", "P", "the norm's order: 2 (default), any P > 0, or inf"},
             {"clip-error-if-nonfinite", nullptr,
              "fail when the total norm is NaN or infinite (error_if_nonfinite)"},
             {"clip-grad-value", "F", "clip_grad_value_: clamp each gradient to [-F, F]"},
             {"accumulate-steps", "N",
              "sum the gradients of N batches (loss / N) per optimizer step; the\n"
              "epoch's last, incomplete group steps at the epoch's end (default 1)"},
         }},
        {"Divergence rollback",
         {
             {"rollback", nullptr,
              "on a NaN/infinite loss: restore the last good snapshot, multiply the rate\n"
              "by a factor, skip the batch, go on (events on stderr and in checkpoints)"},
             {"rollback-max", "N", "rollbacks before the run ends as diverged (default 3)"},
             {"rollback-lr-factor", "F", "rate factor per rollback, in (0, 1] (default 0.5)"},
             {"rollback-skip-batches", "N", "batches skipped, the offending one included (1)"},
             {"rollback-snapshot-every", "N", "optimizer steps between snapshots (default 50)"},
             {"rollback-spike-factor", "F",
              "also roll back when a loss exceeds F times its recent average (F > 1)"},
         }},
        {"Learning-rate schedule (PyTorch semantics)",
         {
             {"scheduler", "NAME",
              "none (default), step, multistep, exponential, cosine, linear, plateau"},
             {"schedule-per-batch", nullptr, "step the schedule after every batch, not epoch"},
             {"step-size", "N", "step: epochs per decay (default 1)"},
             {"gamma", "F", "step, multistep, exponential: decay factor (default 0.1)"},
             {"milestones", "N,N,...", "multistep: epochs at which to decay"},
             {"t-max", "N", "cosine: half period (default: --epochs)"},
             {"eta-min", "F", "cosine: lowest rate (default 0)"},
             {"start-factor", "F", "linear: first factor (default 1/3)"},
             {"end-factor", "F", "linear: last factor (default 1)"},
             {"total-iters", "N", "linear: steps to reach the last factor (default 5)"},
             {"plateau-monitor", "METRIC", "plateau: metric (default val_loss, or loss)"},
             {"plateau-mode", "MODE", "plateau: min (default) or max"},
             {"plateau-factor", "F", "plateau: factor (default 0.1)"},
             {"plateau-patience", "N", "plateau: epochs without improvement (default 10)"},
             {"plateau-threshold", "F", "plateau: improvement threshold (default 1e-4)"},
             {"plateau-threshold-mode", "MODE", "plateau: rel (default) or abs"},
             {"plateau-cooldown", "N", "plateau: epochs to wait after a cut (default 0)"},
             {"min-lr", "F", "plateau: lowest rate (default 0)"},
         }},
        {"Early stopping (Keras semantics)",
         {
             {"early-stopping-patience", "N",
              "stop after N epochs without improvement (enables early stopping)"},
             {"monitor", "METRIC",
              "loss, accuracy, val_loss, val_accuracy or lr\n"
              "(default val_loss, or loss without validation data)"},
             {"min-delta", "F", "smallest change that counts as improvement (default 0)"},
             {"mode", "MODE", "auto (default), min or max"},
             {"baseline", "F", "value the metric must beat to reset the patience"},
             {"restore-best-weights", nullptr, "end with the best epoch's weights"},
             {"start-from-epoch", "N", "epochs to wait before monitoring (default 0)"},
         }},
        {"Checkpoints and output",
         {
             {"checkpoint-dir", "DIR",
              "checkpoint the whole trainer into DIR (ckpt-e*-s*.nnst every epoch and\n"
              "on stop, keep 3; best-e*.nnst, best.nnst) and DIR/last.nnst at the end;\n"
              "resumes automatically from the newest valid DIR/ckpt-*.nnst"},
             {"checkpoint-every-steps", "N", "also checkpoint every N batches"},
             {"async-save", nullptr,
              "write checkpoints on a background thread while training goes on\n"
              "(same crash-safety; training stalls only to copy the state)"},
             {"output", "FILE",
              "also -o FILE: save the trained model (the whole trainer, with the cli.*\n"
              "metadata) to FILE at the end, or when stopped by Ctrl-C/SIGTERM"},
             {"resume", nullptr, "accepted for compatibility: resuming is automatic"},
             {"simulate-crash-after-steps", "N",
              "testing: SIGKILL the process itself after global step N"},
             {"progress", "MODE", "auto (default: bar on a terminal), bar or lines"},
         }},
    },
    "Output: one line per epoch on stdout,\n"
    "  epoch 3/10 loss=0.4321 accuracy=0.8765 val_loss=0.4500 val_accuracy=0.8600 "
    "lr=0.001 seconds=1.23 samples_per_second=48000\n"
    "(nan where a value does not exist). Ctrl-C or SIGTERM stops after the current batch and\n"
    "saves what was trained (-o FILE, --checkpoint-dir); the exit status is then 130 or 143.\n"
    "Exit status: 0 done, 1 runtime failure (files, data, library), 2 usage error.",
    0,
};

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int64_t kMaxInt = std::numeric_limits<int64_t>::max();

const std::vector<std::string> kMetrics = {"loss", "accuracy", "val_loss", "val_accuracy", "lr"};

// Refuses options that belong to another choice ("--momentum" with adam): silently ignoring
// them would hide a typo in a training run.
void only_with(const Args &args, const std::vector<const char *> &options, bool allowed,
               const std::string &needs) {
  for (const char *o : options) {
    if (args.has(o) && !allowed) args.fail("--" + std::string(o) + " applies only to " + needs);
  }
}

void parse_optimizer(const Args &args, TrainOptions &o) {
  const std::string name = args.choice("optimizer", "adam", {"adam", "adamw", "sgd"});
  const int32_t kind = name == "sgd"     ? NNSTATE_OPTIMIZER_SGD
                       : name == "adamw" ? NNSTATE_OPTIMIZER_ADAMW
                                         : NNSTATE_OPTIMIZER_ADAM;
  o.optimizer = nnstate::optimizer_options(kind);
  const bool sgd = kind == NNSTATE_OPTIMIZER_SGD;
  only_with(args, {"beta1", "beta2", "eps", "amsgrad"}, !sgd, "--optimizer adam or adamw");
  only_with(args, {"momentum", "dampening", "nesterov"}, sgd, "--optimizer sgd");
  nnstate_optimizer_options &opt = o.optimizer;
  opt.lr = args.number("lr", opt.lr, 0, kInf);
  opt.weight_decay = args.number("weight-decay", opt.weight_decay, 0, kInf);
  opt.beta1 = args.number("beta1", opt.beta1, 0, 1);
  opt.beta2 = args.number("beta2", opt.beta2, 0, 1);
  opt.eps = args.number("eps", opt.eps, 0, kInf);
  opt.amsgrad = args.flag("amsgrad");
  opt.momentum = args.number("momentum", opt.momentum, 0, kInf);
  opt.dampening = args.number("dampening", opt.dampening, 0, kInf);
  opt.nesterov = args.flag("nesterov");
}

void parse_scheduler(const Args &args, TrainOptions &o) {
  const std::string name =
      args.choice("scheduler", "none",
                  {"none", "step", "multistep", "exponential", "cosine", "linear", "plateau"});
  const int32_t kind = name == "step"          ? NNSTATE_SCHEDULER_STEP
                       : name == "multistep"   ? NNSTATE_SCHEDULER_MULTI_STEP
                       : name == "exponential" ? NNSTATE_SCHEDULER_EXPONENTIAL
                       : name == "cosine"      ? NNSTATE_SCHEDULER_COSINE_ANNEALING
                       : name == "linear"      ? NNSTATE_SCHEDULER_LINEAR
                       : name == "plateau"     ? NNSTATE_SCHEDULER_REDUCE_ON_PLATEAU
                                               : NNSTATE_SCHEDULER_NONE;
  o.scheduler = nnstate::scheduler_options(kind);
  nnstate_scheduler_options &s = o.scheduler;
  only_with(args, {"schedule-per-batch"}, kind != NNSTATE_SCHEDULER_NONE, "a --scheduler");
  only_with(args, {"step-size"}, kind == NNSTATE_SCHEDULER_STEP, "--scheduler step");
  only_with(args, {"gamma"},
            kind == NNSTATE_SCHEDULER_STEP || kind == NNSTATE_SCHEDULER_MULTI_STEP ||
                kind == NNSTATE_SCHEDULER_EXPONENTIAL,
            "--scheduler step, multistep or exponential");
  only_with(args, {"milestones"}, kind == NNSTATE_SCHEDULER_MULTI_STEP, "--scheduler multistep");
  only_with(args, {"t-max", "eta-min"}, kind == NNSTATE_SCHEDULER_COSINE_ANNEALING,
            "--scheduler cosine");
  only_with(args, {"start-factor", "end-factor", "total-iters"}, kind == NNSTATE_SCHEDULER_LINEAR,
            "--scheduler linear");
  only_with(args,
            {"plateau-monitor", "plateau-mode", "plateau-factor", "plateau-patience",
             "plateau-threshold", "plateau-threshold-mode", "plateau-cooldown", "min-lr"},
            kind == NNSTATE_SCHEDULER_REDUCE_ON_PLATEAU, "--scheduler plateau");
  if (kind == NNSTATE_SCHEDULER_MULTI_STEP && !args.has("milestones")) {
    args.fail("--scheduler multistep needs --milestones");
  }
  s.per_batch = args.flag("schedule-per-batch");
  s.step_size = args.integer("step-size", s.step_size, 1, kMaxInt);
  s.gamma = args.number("gamma", s.gamma, 0, kInf);
  if (args.has("milestones")) {
    o.milestones = args.integer_list("milestones", 1, kMaxInt);
    for (size_t i = 1; i < o.milestones.size(); ++i) {
      if (o.milestones[i] <= o.milestones[i - 1]) args.fail("--milestones must increase");
    }
  }
  s.t_max = args.integer("t-max", o.trainer.epochs, 1, kMaxInt);
  s.eta_min = args.number("eta-min", s.eta_min, 0, kInf);
  s.start_factor = args.number("start-factor", s.start_factor, 0, 1);
  s.end_factor = args.number("end-factor", s.end_factor, 0, 1);
  s.total_iters = args.integer("total-iters", s.total_iters, 1, kMaxInt);
  if (args.has("plateau-monitor"))
    o.scheduler_monitor = args.choice("plateau-monitor", "", kMetrics);
  s.mode = args.choice("plateau-mode", "min", {"min", "max"}) == "max" ? NNSTATE_MODE_MAX
                                                                       : NNSTATE_MODE_MIN;
  s.factor = args.number("plateau-factor", s.factor, 0, 1);
  s.patience = args.integer("plateau-patience", s.patience, 0, kMaxInt);
  s.threshold = args.number("plateau-threshold", s.threshold, 0, kInf);
  s.threshold_mode = args.choice("plateau-threshold-mode", "rel", {"rel", "abs"}) == "abs"
                         ? NNSTATE_THRESHOLD_ABS
                         : NNSTATE_THRESHOLD_REL;
  s.cooldown = args.integer("plateau-cooldown", s.cooldown, 0, kMaxInt);
  s.min_lr = args.number("min-lr", s.min_lr, 0, kInf);
}

void parse_gradients(const Args &args, TrainOptions &o) {
  o.step = nnstate::step_options();
  nnstate_step_options &s = o.step;
  s.clip_grad_norm = args.number("clip-grad-norm", 0, 0, kInf);
  if (args.has("clip-grad-norm") && !(s.clip_grad_norm > 0 && s.clip_grad_norm < kInf)) {
    args.fail("--clip-grad-norm must be a finite value > 0");
  }
  only_with(args, {"clip-norm-type", "clip-error-if-nonfinite"}, args.has("clip-grad-norm"),
            "--clip-grad-norm");
  s.clip_norm_type = args.number("clip-norm-type", s.clip_norm_type, 0, kInf);
  if (!(s.clip_norm_type > 0)) args.fail("--clip-norm-type must be > 0 (or inf)");
  s.clip_error_if_nonfinite = args.flag("clip-error-if-nonfinite");
  s.clip_grad_value = args.number("clip-grad-value", 0, 0, kInf);
  if (args.has("clip-grad-value") && !(s.clip_grad_value > 0 && s.clip_grad_value < kInf)) {
    args.fail("--clip-grad-value must be a finite value > 0");
  }
  s.accumulate_steps = args.integer("accumulate-steps", 1, 1, 1 << 24);

  o.rollback = nnstate::rollback_options();
  nnstate_rollback_options &r = o.rollback;
  r.enabled = args.flag("rollback");
  only_with(args,
            {"rollback-max", "rollback-lr-factor", "rollback-skip-batches",
             "rollback-snapshot-every", "rollback-spike-factor"},
            r.enabled != 0, "--rollback");
  r.max_rollbacks = args.integer("rollback-max", r.max_rollbacks, 0, kMaxInt);
  r.lr_factor = args.number("rollback-lr-factor", r.lr_factor, 0, 1);
  if (!(r.lr_factor > 0)) args.fail("--rollback-lr-factor must be in (0, 1]");
  r.skip_batches = args.integer("rollback-skip-batches", r.skip_batches, 1, kMaxInt);
  r.snapshot_every = args.integer("rollback-snapshot-every", r.snapshot_every, 1, kMaxInt);
  r.spike_factor = args.number("rollback-spike-factor", r.spike_factor, 0, kInf);
  if (args.has("rollback-spike-factor") && !(r.spike_factor > 1 && r.spike_factor < kInf)) {
    args.fail("--rollback-spike-factor must be a finite value > 1");
  }
}

void parse_early_stopping(const Args &args, TrainOptions &o) {
  o.stopping = nnstate::early_stopping_options();
  o.early_stopping = args.has("early-stopping-patience");
  only_with(
      args,
      {"monitor", "min-delta", "mode", "baseline", "restore-best-weights", "start-from-epoch"},
      o.early_stopping, "early stopping: add --early-stopping-patience N");
  nnstate_early_stopping_options &e = o.stopping;
  e.patience = args.integer("early-stopping-patience", 0, 0, kMaxInt);
  if (args.has("monitor")) o.stopping_monitor = args.choice("monitor", "", kMetrics);
  e.min_delta = args.number("min-delta", 0, -kInf, kInf);
  const std::string mode = args.choice("mode", "auto", {"auto", "min", "max"});
  e.mode = mode == "min" ? NNSTATE_MODE_MIN : mode == "max" ? NNSTATE_MODE_MAX : NNSTATE_MODE_AUTO;
  e.has_baseline = args.has("baseline");
  e.baseline = args.number("baseline", 0, -kInf, kInf);
  e.restore_best_weights = args.flag("restore-best-weights");
  e.start_from_epoch = args.integer("start-from-epoch", 0, 0, kMaxInt);
}

}  // namespace

TrainOptions parse_train_options(const Args &args) {
  TrainOptions o;
  o.checkpoint_dir = args.text("checkpoint-dir");
  o.resume = args.flag("resume");
  if (o.resume && o.checkpoint_dir.empty()) args.fail("--resume needs --checkpoint-dir");
  o.checkpoint_every_steps = args.integer("checkpoint-every-steps", 0, 1, kMaxInt);
  if (args.has("checkpoint-every-steps") && o.checkpoint_dir.empty()) {
    args.fail("--checkpoint-every-steps needs --checkpoint-dir");
  }
  o.async_save = args.flag("async-save");
  if (o.async_save && o.checkpoint_dir.empty()) args.fail("--async-save needs --checkpoint-dir");
  o.simulate_crash_after_steps = args.integer("simulate-crash-after-steps", 0, 1, kMaxInt);
  if (args.has("checkpoint-dir") && o.checkpoint_dir.empty()) {
    args.fail("--checkpoint-dir: empty directory name");
  }
  o.arch = args.text("arch");
  o.model = args.text("model");
  if (!o.arch.empty() && !o.model.empty()) args.fail("give --arch or --model, not both");
  if (o.arch.empty() && o.model.empty() && o.checkpoint_dir.empty())
    args.fail("--arch or --model is required (e.g. --arch 784-256-relu-10)");
  if (!o.arch.empty()) parse_arch_spec(o.arch);  // fail early on a bad spec
  if (args.has("loss"))
    o.loss = args.choice("loss", "", {"cross_entropy", "mse", "bce_with_logits"});
  o.seed = static_cast<uint64_t>(args.integer("seed", 0, 0, kMaxInt));

  o.train = data_flags(args, "", true);
  if (!o.train.given()) args.fail("no training data: give --images and --labels, or --csv");
  o.validation = data_flags(args, "val-", true);
  if (args.has("validation-split")) {
    if (o.validation.given()) args.fail("give either --validation-split or validation files");
    o.validation_split = args.number("validation-split", 0, 0, 1);
    if (o.validation_split <= 0 || o.validation_split >= 1) {
      args.fail("--validation-split must be between 0 and 1 (exclusive)");
    }
  }
  o.target_columns = static_cast<size_t>(args.integer("target-columns", 1, 1, 1 << 20));
  if (args.has("target-columns") && o.train.csv.empty())
    args.fail("--target-columns applies to CSV data");
  o.csv_header = csv_header_flag(args);

  o.trainer = nnstate::trainer_options();
  o.trainer.epochs = args.integer("epochs", 10, 1, 1000000000);
  o.trainer.batch_size = args.integer("batch-size", 32, 1, 1 << 24);
  o.trainer.shuffle = !args.flag("no-shuffle");
  o.trainer.drop_last = args.flag("drop-last");
  o.deterministic_chunk = args.integer("deterministic", 0, 1, 1 << 30);
  only_with(args, {"threads"}, o.deterministic_chunk > 0, "--deterministic");
  o.threads = static_cast<int32_t>(args.integer("threads", 0, 1, 1024));

  parse_optimizer(args, o);
  parse_gradients(args, o);
  parse_scheduler(args, o);
  parse_early_stopping(args, o);
  o.fine_tuning = parse_fine_tuning(args, o.scheduler.kind == NNSTATE_SCHEDULER_REDUCE_ON_PLATEAU);
  // Refused now rather than after loading the data: the trainer would refuse it at fit.
  const bool has_validation = o.validation.given() || o.validation_split > 0;
  for (const std::string *monitor : {&o.stopping_monitor, &o.scheduler_monitor}) {
    if (!has_validation && monitor->compare(0, 4, "val_") == 0) {
      args.fail("monitor " + *monitor +
                " needs validation data (--val-images/--val-labels, --val-csv or "
                "--validation-split)");
    }
  }
  o.output = args.text("output");
  if (args.has("output") && o.output.empty()) args.fail("--output: empty file name");
  o.progress = args.choice("progress", "auto", {"auto", "bar", "lines"});
  return o;
}

void bind_monitors(TrainOptions &o, bool has_validation) {
  const std::string fallback = has_validation ? "val_loss" : "loss";
  if (o.scheduler_monitor.empty()) o.scheduler_monitor = fallback;
  if (o.stopping_monitor.empty()) o.stopping_monitor = fallback;
  o.scheduler.monitor = o.scheduler_monitor.c_str();
  o.stopping.monitor = o.stopping_monitor.c_str();
  o.scheduler.milestones = o.milestones.empty() ? nullptr : o.milestones.data();
  o.scheduler.milestone_count = o.milestones.size();
}

}  // namespace nnstate_cli
