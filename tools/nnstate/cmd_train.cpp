// `nnstate train`: options → data → network → trainer → run_training.
#include <dirent.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <vector>

#include "checkpoint_io.h"
#include "commands.h"
#include "data_fit.h"
#include "model_source.h"
#include "signals.h"
#include "train_loop.h"
#include "train_options.h"

namespace nnstate_cli {
namespace {

struct Resumed {
  bool has_checkpoint = false;    // DIR holds a ckpt-*.nnst: the trainer resumes from it
  std::string arch, model, loss;  // from DIR/last.nnst's metadata, when it exists
};

bool has_trainer_checkpoint(const std::string &dir) {
  DIR *d = opendir(dir.c_str());
  if (!d) return false;
  bool found = false;
  while (const dirent *e = readdir(d)) {
    const std::string name = e->d_name;
    if (name.size() > 10 && name.compare(0, 5, "ckpt-") == 0 &&
        name.compare(name.size() - 5, 5, ".nnst") == 0) {
      found = true;
      break;
    }
  }
  closedir(d);
  return found;
}

// What every refusal to continue the run in DIR adds: how to start a new one instead.
std::string fresh_start_hint(const std::string &dir) {
  return " (to start a new run instead, give another --checkpoint-dir or delete " + dir + ")";
}

// What DIR already holds: trainer checkpoints (resumed by the library) and last.nnst, whose
// metadata gives the architecture and loss when the command line does not; refuses another
// architecture or loss than the one recorded there.
Resumed resume_point(const TrainOptions &o, const std::string &last) {
  Resumed r;
  if (o.checkpoint_dir.empty()) return r;
  r.has_checkpoint = has_trainer_checkpoint(o.checkpoint_dir);
  if (file_exists(last)) {
    std::map<std::string, std::string> meta = checkpoint_metadata(last);
    r.arch = meta[kMetaArch];
    r.model = meta[kMetaModel];
    r.loss = meta[kMetaLoss];
    if ((!o.arch.empty() && !r.model.empty()) || (!o.model.empty() && !r.arch.empty())) {
      throw UsageError(
          std::string("train: ") + (o.arch.empty() ? "--model " + o.model : "--arch " + o.arch) +
          " differs from the " + (r.arch.empty() ? "model" : "architecture " + r.arch) +
          " recorded in " + last + fresh_start_hint(o.checkpoint_dir));
    }
    if (!o.arch.empty() && !r.arch.empty() && o.arch != r.arch) {
      throw UsageError("train: --arch " + o.arch + " differs from " + r.arch +
                       ", the architecture in " + last + fresh_start_hint(o.checkpoint_dir));
    }
    if (!o.loss.empty() && !r.loss.empty() && o.loss != r.loss) {
      throw UsageError("train: --loss " + o.loss + " differs from " + r.loss + ", the loss in " +
                       last + fresh_start_hint(o.checkpoint_dir));
    }
  }
  if (o.arch.empty() && o.model.empty() && r.arch.empty() && r.model.empty()) {
    throw UsageError("train: " + last + " does not exist or records no " + kMetaArch + " or " +
                     kMetaModel + "; give --arch or --model");
  }
  return r;
}

nnstate::Dataset make_dataset(const DataView &v, const char *what) {
  return in_context(what, [&] {
    return nnstate::Dataset(v.inputs(), v.samples * v.data->features, v.targets(),
                            v.samples * v.data->target_width, v.samples);
  });
}

// Prints the library's warnings of a resume (skipped files, another OpenBLAS setup), one
// "nnstate: warning:" line each.
void print_warnings(const std::string &warnings) {
  size_t from = 0;
  while (from < warnings.size()) {
    size_t end = warnings.find('\n', from);
    if (end == std::string::npos) end = warnings.size();
    if (end > from) {
      std::fprintf(stderr, "nnstate: warning: %s\n", warnings.substr(from, end - from).c_str());
    }
    from = end + 1;
  }
}

// Continues the run whose checkpoints are in DIR (the policy's newest valid ckpt-*.nnst).
void resume_from(nnstate::Trainer &trainer, const std::string &dir) {
  bool found = false;
  try {
    found = trainer.resume_latest(dir);
  } catch (const nnstate::Error &e) {
    print_warnings(trainer.warnings());
    // The library lists a setup mismatch one difference per indented line.
    const std::string &message = e.message();
    const std::string hint = fresh_start_hint(dir);
    throw std::runtime_error("resuming from " + dir + ": " + message +
                             (message.find('\n') == std::string::npos ? hint : "\n " + hint));
  }
  print_warnings(trainer.warnings());
  if (found) std::fprintf(stderr, "nnstate: resumed %s\n", position_text(trainer).c_str());
}

std::string command_line(int argc, char **argv) {
  std::string text = "nnstate train";
  for (int i = 0; i < argc; ++i) text += std::string(" ") + argv[i];
  return text;
}

}  // namespace

int cmd_train(int argc, char **argv) {
  // "-o FILE" is the conventional spelling; the option tables only know long names.
  std::vector<char *> rewritten(argv, argv + argc);
  char output_option[] = "--output";
  for (char *&a : rewritten) {
    if (std::strcmp(a, "-o") == 0) a = output_option;
  }
  const Args args = Args::parse(kTrainSpec, argc, rewritten.data());
  if (args.help()) {
    print_help(kTrainSpec, stdout);
    return kExitOk;
  }
  TrainOptions o = parse_train_options(args);
  if (o.checkpoint_dir.empty() && o.output.empty()) {
    std::fprintf(stderr,
                 "nnstate: warning: the trained model will not be saved (give -o FILE or "
                 "--checkpoint-dir DIR)\n");
  }
  install_stop_signals();

  const std::string last = o.checkpoint_dir + "/last.nnst";
  const Resumed resumed = resume_point(o, last);
  // Built now, so that an invalid architecture or document fails before any data is read.
  // Always built afresh: a resume replaces the weights, optimizer, RNGs and loop state.
  ModelSource model = !o.model.empty()        ? file_model(o.model, o.seed)
                      : !o.arch.empty()       ? arch_model(o.arch, o.seed)
                      : !resumed.arch.empty() ? arch_model(resumed.arch, o.seed)
                                              : document_model(resumed.model, last, o.seed);
  if (!o.model.empty() && !resumed.model.empty() && model.document != resumed.model) {
    // Compared as the networks they build, so spacing and written-out defaults do not matter.
    const std::string recorded = " describes another network than the one recorded in ";
    throw UsageError("train: --model " + o.model + recorded + last +
                     fresh_start_hint(o.checkpoint_dir));
  }
  if (!o.checkpoint_dir.empty()) make_directories(o.checkpoint_dir);

  if (!o.output.empty()) {
    // Found out now rather than after the training that the model could not be saved.
    const size_t slash = o.output.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : o.output.substr(0, slash + 1);
    if (access(dir.c_str(), W_OK) != 0) {
      throw std::runtime_error(o.output + ": cannot write into " + dir + ": " +
                               std::strerror(errno));
    }
  }
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

  const std::string &network_name = model.name;
  const int32_t loss = !o.loss.empty()         ? loss_from_name(o.loss)
                       : !resumed.loss.empty() ? loss_from_name(resumed.loss)
                                               : default_loss(train, model.output_size);
  if (loss == 0) {
    throw std::runtime_error(last + ": unknown loss '" + resumed.loss + "' in its metadata");
  }
  check_fits(train, model.input_size, model.output_size, loss, network_name);
  check_sample_shape(train, model);
  if (o.validation.given()) {
    check_fits(validation_data, model.input_size, model.output_size, loss, network_name);
    check_sample_shape(validation_data, model);
  }

  nnstate::Network &network = model.network;
  in_context("setting the loss", [&] { network.loss(loss); });
  apply_fine_tuning(o.fine_tuning, network, o.optimizer);
  if (o.deterministic_chunk > 0) {
    in_context(
        "--deterministic", [&] { network.deterministic(o.deterministic_chunk, o.threads); },
        Blame::usage);
  }

  const nnstate::Dataset train_set = make_dataset(train_view, "training data");
  std::optional<nnstate::Dataset> validation_set;
  if (has_validation) validation_set.emplace(make_dataset(validation_view, "validation data"));
  bind_monitors(o, has_validation);
  nnstate::Trainer trainer = in_context(
      "invalid training options",
      [&] {
        return nnstate::Trainer(network, o.trainer,
                                o.scheduler.kind == NNSTATE_SCHEDULER_NONE ? nullptr : &o.scheduler,
                                o.early_stopping ? &o.stopping : nullptr);
      },
      Blame::usage);
  // Before any resume, which requires the saved run's settings.
  in_context(
      "invalid gradient or rollback options",
      [&] {
        trainer.set_step_options(o.step);
        trainer.set_rollback(o.rollback);
      },
      Blame::usage);
  apply_group_min_lr(o.fine_tuning, trainer, o.scheduler.min_lr);

  if (!o.checkpoint_dir.empty()) {
    nnstate_checkpoint_policy policy = in_context(
        "checkpoint policy", [&] { return nnstate::checkpoint_policy(o.checkpoint_dir.c_str()); });
    policy.every_epochs = 1;
    policy.every_steps = o.checkpoint_every_steps;
    policy.on_stop = 1;
    policy.keep_last = 3;
    policy.keep_best = 1;
    // "Best" by early stopping's monitor, else val_loss (loss without validation data).
    policy.monitor = o.early_stopping && o.stopping.monitor ? o.stopping.monitor
                     : has_validation                       ? "val_loss"
                                                            : "loss";
    policy.mode = o.early_stopping ? o.stopping.mode : NNSTATE_MODE_AUTO;
    policy.async_save = o.async_save ? 1 : 0;
    in_context("checkpoint policy", [&] { trainer.set_checkpointing(policy); });
    if (resumed.has_checkpoint) resume_from(trainer, o.checkpoint_dir);
  }

  std::fprintf(stderr, "nnstate: %s, loss %s; training on %zu samples of %s", model.summary.c_str(),
               loss_name(loss), train_view.samples, train.name.c_str());
  if (has_validation) {
    std::fprintf(stderr, ", validating on %zu samples of %s", validation_view.samples,
                 validation_view.data->name.c_str());
  }
  std::fprintf(stderr, "\n");
  const bool bar = o.progress == "bar" || (o.progress == "auto" && isatty(STDOUT_FILENO));
  Progress progress(stdout, bar, o.trainer.epochs, 0);
  TrainLoop loop;
  loop.trainer = &trainer;
  loop.train = &train_set;
  loop.validation = validation_set ? &*validation_set : nullptr;
  loop.progress = &progress;
  loop.checkpoint_dir = o.checkpoint_dir;
  loop.output = o.output;
  loop.metadata = {{model.arch.empty() ? kMetaModel : kMetaArch,
                    model.arch.empty() ? model.document : model.arch},
                   {kMetaLoss, loss_name(loss)},
                   {kMetaCommand, command_line(argc, argv)}};
  loop.crash_after_steps = o.simulate_crash_after_steps;
  return run_training(loop);
}

}  // namespace nnstate_cli
