// `nnstate train`: options → data → network (new or resumed) → trainer → run_training.
#include <unistd.h>

#include <cstdio>

#include "api.h"
#include "arch_spec.h"
#include "checkpoint_io.h"
#include "commands.h"
#include "data_fit.h"
#include "signals.h"
#include "train_loop.h"
#include "train_options.h"

namespace nnstate_cli {
namespace {

struct Resumed {
  bool resumed = false;
  std::string arch, loss, history;
  int64_t epochs = 0;
};

// Reads DIR/last.nnst's metadata when --resume finds it; refuses a checkpoint that another
// architecture or loss was trained with.
Resumed resume_point(const TrainOptions &o, const std::string &last) {
  Resumed r;
  if (!o.resume || !file_exists(last)) {
    if (o.arch.empty()) {
      fail_usage("train: --resume: " + last + " does not exist; give --arch to start a new run");
    }
    return r;
  }
  std::map<std::string, std::string> meta = checkpoint_metadata(last);
  r.resumed = true;
  r.arch = meta[kMetaArch];
  r.loss = meta[kMetaLoss];
  r.history = meta[kMetaHistory];
  const std::string header = kHistoryHeader;
  if (r.history.compare(0, header.size(), header) == 0) r.history.erase(0, header.size());
  const std::string epochs = meta[kMetaEpochs];
  char *end = nullptr;
  r.epochs = std::strtoll(epochs.c_str(), &end, 10);
  if (r.arch.empty() || epochs.empty() || *end != '\0' || r.epochs < 0) {
    fail_runtime(last + ": not written by 'nnstate train' (metadata " + kMetaArch + " / " +
                 kMetaEpochs + " missing or invalid)");
  }
  if (!o.arch.empty() && o.arch != r.arch) {
    fail_usage("train: --arch " + o.arch + " differs from " + r.arch + ", the architecture in " +
               last);
  }
  if (!o.loss.empty() && o.loss != r.loss) {
    fail_usage("train: --loss " + o.loss + " differs from " + r.loss + ", the loss in " + last);
  }
  return r;
}

DatasetPtr make_dataset(const DataView &v, const char *what) {
  nnstate_dataset *raw = nullptr;
  check(nnstate_dataset_create(&raw, v.inputs(), v.samples * v.data->features, v.targets(),
                               v.samples * v.data->target_width, v.samples),
        what);
  return DatasetPtr(raw);
}

std::string command_line(int argc, char **argv) {
  std::string text = "nnstate train";
  for (int i = 0; i < argc; ++i) text += std::string(" ") + argv[i];
  return text;
}

}  // namespace

int cmd_train(int argc, char **argv) {
  const Args args = Args::parse(kTrainSpec, argc, argv);
  if (args.help()) {
    print_help(kTrainSpec, stdout);
    return kExitOk;
  }
  TrainOptions o = parse_train_options(args);
  install_stop_signals();

  const std::string last = o.checkpoint_dir + "/last.nnst";
  const Resumed resumed = resume_point(o, last);
  const std::string arch = resumed.resumed ? resumed.arch : o.arch;
  const ArchSpec spec = parse_arch_spec(arch);
  if (!o.checkpoint_dir.empty()) make_directories(o.checkpoint_dir);

  // Data first: a missing or malformed file should fail before any training setup.
  const Data train = load_data(o.train, o.target_columns, o.csv_header);
  Data validation_data;
  DataView train_view{&train, 0, train.samples}, validation_view;
  if (o.validation.given()) {
    validation_data = load_data(o.validation, o.target_columns, o.csv_header);
    validation_view = DataView{&validation_data, 0, validation_data.samples};
  } else if (o.validation_split > 0) {
    split_validation(train, o.validation_split, train_view, validation_view);
  }
  const bool has_validation = validation_view.samples > 0;

  const std::string network_name = "the architecture " + arch;
  const int32_t loss = !o.loss.empty() ? loss_from_name(o.loss)
                       : resumed.resumed
                           ? loss_from_name(resumed.loss)
                           : default_loss(train, static_cast<size_t>(spec.output_size));
  if (loss == 0) fail_runtime(last + ": unknown loss '" + resumed.loss + "' in its metadata");
  const size_t inputs = static_cast<size_t>(spec.input_size);
  const size_t outputs = static_cast<size_t>(spec.output_size);
  check_fits(train, inputs, outputs, loss, network_name);
  if (o.validation.given()) check_fits(validation_data, inputs, outputs, loss, network_name);

  NetworkPtr network;
  if (resumed.resumed) {
    network = load_checkpoint(last, NNSTATE_LOAD_FULL);
    std::fprintf(stderr,
                 "nnstate: resuming from %s after epoch %lld (the optimizer state is restored; "
                 "the schedule, early stopping and data order start afresh)\n",
                 last.c_str(), static_cast<long long>(resumed.epochs));
  } else {
    network = build_network(spec, o.seed);
    check(nnstate_network_set_loss(network.get(), loss), "setting the loss");
    check(nnstate_network_set_optimizer(network.get(), &o.optimizer), "invalid optimizer options",
          kExitUsage);
  }

  if (resumed.epochs >= o.trainer.epochs) {
    std::printf("done reason=completed epochs=%lld (already trained; raise --epochs to continue)\n",
                static_cast<long long>(resumed.epochs));
    return kExitOk;
  }
  o.trainer.epochs -= resumed.epochs;

  DatasetPtr train_set = make_dataset(train_view, "training data");
  DatasetPtr validation_set;
  if (has_validation) validation_set = make_dataset(validation_view, "validation data");
  bind_monitors(o, has_validation);
  nnstate_trainer *raw = nullptr;
  check(nnstate_trainer_create(&raw, network.get(), &o.trainer,
                               o.scheduler.kind == NNSTATE_SCHEDULER_NONE ? nullptr : &o.scheduler,
                               o.early_stopping ? &o.stopping : nullptr),
        "invalid training options", kExitUsage);
  TrainerPtr trainer(raw);

  std::fprintf(stderr, "nnstate: %s, loss %s; training on %zu samples of %s",
               describe(spec).c_str(), loss_name(loss), train_view.samples, train.name.c_str());
  if (has_validation) {
    std::fprintf(stderr, ", validating on %zu samples of %s", validation_view.samples,
                 validation_view.data->name.c_str());
  }
  std::fprintf(stderr, "\n");
  const bool bar = o.progress == "bar" || (o.progress == "auto" && isatty(STDOUT_FILENO));
  Progress progress(stdout, bar, o.trainer.epochs + resumed.epochs, resumed.epochs);
  TrainLoop loop;
  loop.network = network.get();
  loop.trainer = trainer.get();
  loop.train = train_set.get();
  loop.validation = validation_set.get();
  loop.progress = &progress;
  loop.checkpoint_dir = o.checkpoint_dir;
  loop.metadata = {
      {kMetaArch, arch}, {kMetaLoss, loss_name(loss)}, {kMetaCommand, command_line(argc, argv)}};
  loop.history = resumed.history;
  loop.epochs_before = resumed.epochs;
  return run_training(loop);
}

}  // namespace nnstate_cli
