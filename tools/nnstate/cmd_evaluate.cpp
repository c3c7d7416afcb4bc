// `nnstate evaluate CHECKPOINT DATA`: mean loss and accuracy of a saved network.
#include <cmath>
#include <cstdio>

#include "commands.h"
#include "data_fit.h"
#include "data_flags.h"
#include "inference.h"

namespace nnstate_cli {
namespace {

const CommandSpec kEvaluateSpec = {
    "evaluate",
    "CHECKPOINT (--images FILE --labels FILE | --csv FILE) [options]",
    "Loads the network of a checkpoint (e.g. DIR/last.nnst from 'nnstate train') and prints\n"
    "its mean loss and accuracy on the data:\n"
    "  loss=0.3456 accuracy=0.8765 samples=10000\n"
    "Accuracy is the share of correct classes for cross_entropy, of correct 0/1 decisions\n"
    "(logit > 0) for bce_with_logits, and nan for mse.",
    {
        {"Data",
         {
             {"images", "FILE", "inputs, IDX (gzip accepted)"},
             {"labels", "FILE", "labels, IDX"},
             {"csv", "FILE", "data as CSV, targets in the last column(s)"},
             {"target-columns", "N", "CSV: how many trailing columns are targets (default 1)"},
             {"csv-header", "MODE", "auto (default), yes, no"},
         }},
        {"Evaluation",
         {
             {"loss", "NAME",
              "cross_entropy, mse or bce_with_logits (default: the loss recorded in the\n"
              "checkpoint, else as 'nnstate train' chooses)"},
             {"batch-size", "N", "samples per forward pass (default 256)"},
         }},
    },
    "Exit status: 0 done, 1 runtime failure (files, data, library), 2 usage error.",
    1,
};

// Correct predictions and how many were judged (0 for mse).
void count_correct(const Floats &out, const Data &d, size_t outputs, int32_t loss,
                   uint64_t &correct, uint64_t &judged) {
  correct = judged = 0;
  if (loss == NNSTATE_LOSS_CROSS_ENTROPY) {
    for (size_t i = 0; i < d.samples; ++i) {
      const float *row = out.data() + i * outputs;
      size_t best = 0;
      for (size_t j = 1; j < outputs; ++j) {
        if (row[j] > row[best]) best = j;  // first maximum wins, as argmax does
      }
      correct += static_cast<float>(best) == d.targets[i];
    }
    judged = d.samples;
  } else if (loss == NNSTATE_LOSS_BCE_WITH_LOGITS) {
    for (size_t k = 0; k < out.size(); ++k) correct += (out[k] > 0) == (d.targets[k] > 0.5f);
    judged = out.size();
  }
}

}  // namespace

int cmd_evaluate(int argc, char **argv) {
  const Args args = Args::parse(kEvaluateSpec, argc, argv);
  if (args.help()) {
    print_help(kEvaluateSpec, stdout);
    return kExitOk;
  }
  if (args.positionals().empty()) args.fail("missing the CHECKPOINT file");
  const std::string path = args.positionals()[0];
  const DataFlags flags = data_flags(args, "", true);
  if (!flags.given()) args.fail("no data: give --images and --labels, or --csv");
  const size_t target_columns = static_cast<size_t>(args.integer("target-columns", 1, 1, 1 << 20));
  if (args.has("target-columns") && flags.csv.empty())
    args.fail("--target-columns applies to CSV data");
  const CsvHeader header = csv_header_flag(args);
  const std::string loss_flag =
      args.has("loss") ? args.choice("loss", "", {"cross_entropy", "mse", "bce_with_logits"}) : "";
  const size_t batch = static_cast<size_t>(args.integer("batch-size", 256, 1, 1 << 24));

  LoadedModel model = load_model(path, loss_flag);
  const Data data = load_data(flags, target_columns, header);
  if (model.loss == 0) model.loss = default_loss(data, model.outputs);
  check_fits(data, model.inputs, model.outputs, model.loss, model.arch);
  in_context("setting the loss", [&] { model.network.loss(model.loss); });

  double loss_sum = 0;
  in_context("evaluating", [&] {
    for (size_t start = 0; start < data.samples; start += batch) {
      const size_t n = std::min(batch, data.samples - start);
      const float loss = model.network.evaluate(
          data.inputs.data() + start * data.features, n * data.features,
          data.targets.data() + start * data.target_width, n * data.target_width, n);
      loss_sum += static_cast<double>(loss) * static_cast<double>(n);
    }
  });
  uint64_t correct = 0, judged = 0;
  count_correct(predict_all(model, data, batch), data, model.outputs, model.loss, correct, judged);
  const double accuracy =
      judged ? static_cast<double>(correct) / static_cast<double>(judged) : std::nan("");
  std::printf("loss=%.6g accuracy=%.4f samples=%zu\n", loss_sum / static_cast<double>(data.samples),
              accuracy, data.samples);
  return kExitOk;
}

}  // namespace nnstate_cli
