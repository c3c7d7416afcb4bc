// `nnstate inspect FILE`: a human-readable summary of a checkpoint.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "args.h"
#include "checkpoint_view.h"
#include "commands.h"
#include "data_fit.h"

namespace nnstate_cli {
namespace {

const CommandSpec kInspectSpec = {
    "inspect",
    "FILE",
    "Verifies the checkpoint FILE and summarises it: format and writer versions, creation\n"
    "time, the environment bitwise determinism depends on (OpenBLAS core type and threads),\n"
    "architecture, the graph (each node's name, kind, inputs, output shape and parameters)\n"
    "and tensors, parameter count, optimizer, training progress and best epoch\n"
    "(from the history 'nnstate train' records), user metadata, and where the bytes go.",
    {
        {"Output",
         {
             {"no-tensors", nullptr, "omit the list of tensors"},
             {"model-json", nullptr,
              "print only the network's JSON document (the form 'nnstate train\n"
              "--model' takes), read from the file's architecture"},
         }},
    },
    "Checkpoints of a trainer also show the scheduler, early stopping and the position in\n"
    "the run; a file written by 'nnstate train' records its architecture and command line in\n"
    "its metadata.\n"
    "\n"
    "Exit status: 0 done, 1 the file is missing or invalid, 2 usage error.",
    1,
};

std::string bytes_text(uint64_t n) {
  char text[64];
  if (n < 1024) {
    std::snprintf(text, sizeof text, "%llu B", static_cast<unsigned long long>(n));
  } else {
    const char *units[] = {"KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(n) / 1024;
    int u = 0;
    for (; v >= 1024 && u < 3; ++u) v /= 1024;
    std::snprintf(text, sizeof text, "%llu B (%.1f %s)", static_cast<unsigned long long>(n), v,
                  units[u]);
  }
  return text;
}

std::string number_text(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", v);
  return text;
}

void field(const char *name, const std::string &value) {
  std::printf("%-17s %s\n", (std::string(name) + ":").c_str(), value.c_str());
}

// Multi-line values (cli.history) are summarised to keep the listing one line per entry.
std::string metadata_value(const std::string &value) {
  const size_t newlines = static_cast<size_t>(std::count(value.begin(), value.end(), '\n'));
  if (newlines == 0) return value.size() > 200 ? value.substr(0, 200) + "..." : value;
  return "(" + std::to_string(newlines + (value.back() != '\n')) + " lines, " +
         std::to_string(value.size()) + " bytes)";
}

const char *scheduler_name(int32_t kind) {
  switch (kind) {
    case NNSTATE_SCHEDULER_STEP:
      return "StepLR";
    case NNSTATE_SCHEDULER_MULTI_STEP:
      return "MultiStepLR";
    case NNSTATE_SCHEDULER_EXPONENTIAL:
      return "ExponentialLR";
    case NNSTATE_SCHEDULER_COSINE_ANNEALING:
      return "CosineAnnealingLR";
    case NNSTATE_SCHEDULER_LINEAR:
      return "LinearLR";
    case NNSTATE_SCHEDULER_REDUCE_ON_PLATEAU:
      return "ReduceLROnPlateau";
    default:
      return "none";
  }
}

// The training-loop tables of a trainer checkpoint, through the wrapper's queries.
std::string scheduler_text(const CheckpointView &v) {
  const nnstate::SchedulerState s = about_file(v.path, [&] { return v.checkpoint.scheduler(); });
  if (s.kind == NNSTATE_SCHEDULER_NONE) return "none";
  std::string text =
      std::string(scheduler_name(s.kind)) + ", last_epoch " + std::to_string(s.last_epoch);
  if (s.kind == NNSTATE_SCHEDULER_REDUCE_ON_PLATEAU) {
    text += ", best " + number_text(s.best) + ", bad epochs " + std::to_string(s.num_bad_epochs) +
            ", cooldown " + std::to_string(s.cooldown_counter);
  }
  return text;
}

std::string early_stopping_text(const CheckpointView &v, size_t best_weights) {
  const nnstate::EarlyStoppingState s =
      about_file(v.path, [&] { return v.checkpoint.early_stopping(); });
  if (!s.present) return "none";
  std::string text = "monitor " + s.monitor + ", best " + number_text(s.best) + " at epoch " +
                     std::to_string(s.best_epoch + 1) + ", wait " + std::to_string(s.wait);
  if (s.stopped_epoch > 0) text += ", stopped at epoch " + std::to_string(s.stopped_epoch + 1);
  text += ", " + std::to_string(best_weights) + " best-weight tensor(s)";
  return text;
}

// Where the run is, once: the trainer's position when the file has training-loop state (epochs
// count from 1: "in epoch 4" is the fourth), else what `nnstate train` recorded.
std::string training_text(const CheckpointView &v) {
  const nnstate::TrainerState s = about_file(v.path, [&] { return v.checkpoint.trainer_state(); });
  if (s.present) {
    std::string text =
        std::to_string(s.epoch) + " epoch(s) completed, step " + std::to_string(s.global_step);
    if (s.batch_in_epoch > 0) {
      text += ", stopped in epoch " + std::to_string(s.epoch + 1) + " after batch " +
              std::to_string(s.batch_in_epoch);
    }
    return text;
  }
  const std::string *epochs = v.meta(kMetaEpochs);
  std::string text = epochs ? *epochs + " epoch(s) completed (" + kMetaEpochs + "), " : "";
  return text + std::to_string(v.optimizer.step) + " optimizer step(s), no training-loop state";
}

const std::string *field_value(const CheckpointView &v, const std::string &name) {
  for (const nnstate::Field &f : v.fields) {
    if (f.name == name) return &f.value;
  }
  return nullptr;
}

// "Linear(2, 8), ReLU, Linear(8, 2)": the stored layer kinds, with Linear's sizes.
std::string layers_text(const CheckpointView &v) {
  std::string text;
  for (size_t i = 0; i < v.layer_count; ++i) {
    const std::string layer = "architecture.layers[" + std::to_string(i) + "].";
    const std::string *kind = field_value(v, layer + "kind");
    std::string item = kind ? *kind : "?";
    const std::string *in = field_value(v, layer + "in_features");
    const std::string *out = field_value(v, layer + "out_features");
    if (in && out) item += "(" + *in + ", " + *out + ")";
    text += (i ? ", " : "") + item;
  }
  return text.empty() ? "none" : text;
}

// One line per node: index, name ("-" when unnamed), kind, inputs, output shape, parameters.
void print_graph(const GraphView &g) {
  field("graph", std::to_string(g.nodes.size()) + " node(s), input " +
                     (g.input_shape.empty() ? "unknown" : dims_text(g.input_shape)));
  std::vector<std::vector<std::string>> rows = {
      {"#", "name", "kind", "inputs", "output", "parameters"}};
  for (const NodeRow &n : g.nodes) {
    std::string inputs;
    for (size_t i = 0; i < n.inputs.size(); ++i)
      inputs += (i ? ", " : "") + input_text(n.inputs[i]);
    rows.push_back({std::to_string(n.index), n.name.empty() ? "-" : n.name, n.kind, inputs,
                    n.shape_known ? dims_text(n.output_shape) : "?", std::to_string(n.parameters)});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto &row : rows) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  for (const auto &row : rows) {
    std::string line = " ";
    for (size_t c = 0; c < row.size(); ++c) {
      const bool last = c + 1 == row.size();
      line += " " + row[c] + (last ? "" : std::string(width[c] - row[c].size() + 1, ' '));
    }
    std::printf("%s\n", line.c_str());
  }
}

// The best epoch by val_loss when validated, else by loss (as the monitors default).
// 1.3: one line per parameter group when the optimizer has more than the default one.
void print_param_groups(const CheckpointView &v) {
  if (v.param_groups.size() < 2) return;
  field("param groups", std::to_string(v.param_groups.size()) + " (0: the default group)");
  for (size_t g = 0; g < v.param_groups.size(); ++g) {
    const nnstate::Network::ParamGroup &p = v.param_groups[g].first;
    std::string patterns;
    for (const std::string &s : p.params) patterns += (patterns.empty() ? "" : ", ") + s;
    std::printf("  %zu [%s]: lr %s, betas (%s, %s), eps %s, weight_decay %s, %zu parameter(s)\n", g,
                g == 0 ? "unselected" : patterns.c_str(), number_text(p.lr).c_str(),
                number_text(p.beta1).c_str(), number_text(p.beta2).c_str(),
                number_text(p.eps).c_str(), number_text(p.weight_decay).c_str(),
                v.param_groups[g].second);
  }
}

void print_best(const History &h) {
  bool validated = false;
  for (const HistoryRow &r : h.rows) validated |= !std::isnan(r.val_loss);
  const char *metric = validated ? "val_loss" : "loss";
  const HistoryRow *best = nullptr;
  for (const HistoryRow &r : h.rows) {
    const double v = validated ? r.val_loss : r.loss;
    if (!std::isnan(v) && (!best || v < (validated ? best->val_loss : best->loss))) best = &r;
  }
  if (!best) return;
  std::string text = std::string(metric) + " " +
                     number_text(validated ? best->val_loss : best->loss) + " at epoch " +
                     std::to_string(best->epoch);
  if (!std::isnan(best->val_accuracy)) text += ", val_accuracy " + number_text(best->val_accuracy);
  field("best epoch", text + " (from the history)");
}

}  // namespace

int cmd_inspect(int argc, char **argv) {
  const Args args = Args::parse(kInspectSpec, argc, argv);
  if (args.help()) {
    print_help(kInspectSpec, stdout);
    return kExitOk;
  }
  if (args.positionals().empty()) args.fail("missing the checkpoint FILE");
  if (args.flag("model-json")) {
    const std::string &path = args.positionals()[0];
    std::printf("%s\n",
                about_file(path, [&] { return nnstate::Checkpoint(path).network_json(); }).c_str());
    return kExitOk;
  }
  const CheckpointView v = open_checkpoint_view(args.positionals()[0], true);
  const History history = checkpoint_history(v);
  const auto meta = [&](const char *key) {
    const std::string *value = v.meta(key);
    return value ? *value : std::string();
  };

  field("file", v.path + " (" + bytes_text(v.file_bytes) + ", verified)");
  field("format", std::to_string(v.format.major) + "." + std::to_string(v.format.minor));
  field("writer", "libnnstate " + v.writer_version);
  field("created", format_time_utc(v.created_ns));
  field("environment",
        "OpenBLAS core " +
            (v.environment.blas_core_type.empty() ? "?" : v.environment.blas_core_type) + ", " +
            std::to_string(v.environment.blas_threads) + " thread(s)");

  std::string arch = std::to_string(v.layer_count) + " layer(s)";
  if (!meta(kMetaArch).empty()) arch += ", " + meta(kMetaArch) + " (" + kMetaArch + ")";
  if (v.rebuilt) {
    arch += ", input " + std::to_string(v.input_size) + ", output " + std::to_string(v.output_size);
  }
  field("architecture", arch);
  field("layers", layers_text(v));
  if (!v.rebuilt) field("network", "cannot be rebuilt: " + v.rebuild_error);
  if (v.rebuilt) print_graph(v.graph);
  const int32_t loss = about_file(v.path, [&] { return v.checkpoint.loss(); });
  field("loss", loss ? loss_name(loss) : "none");

  size_t counts[4] = {0, 0, 0, 0};
  for (const TensorView &t : v.tensors) {
    if (t.role >= 0 && t.role < 4) ++counts[t.role];
  }
  field("parameters", std::to_string(v.elements_of_role(NNSTATE_ROLE_PARAMETER)) + " in " +
                          std::to_string(counts[NNSTATE_ROLE_PARAMETER]) + " tensor(s)");
  field("buffers", std::to_string(v.elements_of_role(NNSTATE_ROLE_BUFFER)) + " in " +
                       std::to_string(counts[NNSTATE_ROLE_BUFFER]) + " tensor(s)");

  std::string optimizer = optimizer_name(v.optimizer.kind);
  if (v.optimizer.kind != 0) {
    optimizer += ", step " + std::to_string(v.optimizer.step);
    if (v.has_lr) optimizer += ", lr " + number_text(v.lr);
    optimizer += ", " + std::to_string(counts[NNSTATE_ROLE_OPTIMIZER_STATE]) + " state tensor(s)";
  }
  field("optimizer", optimizer);
  print_param_groups(v);
  if (!v.frozen.empty()) {
    field("frozen", std::to_string(v.frozen.size()) + " parameter tensor(s) (no update, no state)");
    for (const std::string &name : v.frozen) std::printf("  %s\n", name.c_str());
  }
  field("scheduler", scheduler_text(v));
  field("early stopping", early_stopping_text(v, counts[NNSTATE_ROLE_BEST_WEIGHT]));
  field("training", training_text(v));
  if (!history.source.empty()) {
    field("history", std::to_string(history.rows.size()) + " epoch(s) (" + history.source + ")");
    print_best(history);
  }

  field("metadata",
        std::to_string(v.metadata.size()) + " entr" + (v.metadata.size() == 1 ? "y" : "ies"));
  for (const auto &kv : v.metadata) {
    std::printf("  %s = %s\n", kv.first.c_str(), metadata_value(kv.second).c_str());
  }

  if (!args.flag("no-tensors")) {
    field("tensors", std::to_string(v.tensors.size()));
    size_t width = 4;
    for (const TensorView &t : v.tensors) width = std::max(width, t.name.size());
    for (const TensorView &t : v.tensors) {
      std::printf("  %-*s  %-15s %-7s %-18s %llu B\n", static_cast<int>(width), t.name.c_str(),
                  role_name(t.role), dtype_name(t.dtype), shape_text(t).c_str(),
                  static_cast<unsigned long long>(t.bytes));
    }
  }

  uint64_t tensor_bytes = 0;
  for (const TensorView &t : v.tensors) tensor_bytes += t.bytes;
  field("size", bytes_text(v.file_bytes));
  std::printf("  %-32s %s\n", "parameters",
              bytes_text(v.bytes_of_role(NNSTATE_ROLE_PARAMETER)).c_str());
  std::printf("  %-32s %s\n", "buffers", bytes_text(v.bytes_of_role(NNSTATE_ROLE_BUFFER)).c_str());
  std::printf("  %-32s %s\n", "optimizer state",
              bytes_text(v.bytes_of_role(NNSTATE_ROLE_OPTIMIZER_STATE)).c_str());
  std::printf("  %-32s %s\n", "best weights",
              bytes_text(v.bytes_of_role(NNSTATE_ROLE_BEST_WEIGHT)).c_str());
  // Format 1.2 trainers: listed only when the file holds them.
  const uint64_t sums = v.bytes_of_role(NNSTATE_ROLE_GRAD_ACCUMULATION);
  const uint64_t snapshot = v.bytes_of_role(NNSTATE_ROLE_ROLLBACK_SNAPSHOT);
  if (sums) std::printf("  %-32s %s\n", "accumulated gradients", bytes_text(sums).c_str());
  if (snapshot) std::printf("  %-32s %s\n", "rollback snapshot", bytes_text(snapshot).c_str());
  // The API gives no offsets, so header, manifest and alignment padding are counted together.
  std::printf("  %-32s %s\n", "header, manifest and padding",
              bytes_text(v.file_bytes >= tensor_bytes ? v.file_bytes - tensor_bytes : 0).c_str());
  return kExitOk;
}

}  // namespace nnstate_cli
