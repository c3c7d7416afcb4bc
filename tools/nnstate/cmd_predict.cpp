// `nnstate predict CHECKPOINT DATA`: the network's predictions as CSV.
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "commands.h"
#include "data_flags.h"
#include "idx.h"
#include "inference.h"

namespace nnstate_cli {
namespace {

const CommandSpec kPredictSpec = {
    "predict",
    "CHECKPOINT (--images FILE | --csv FILE) [options]",
    "Loads the network of a checkpoint and writes one CSV row per sample:\n"
    "  cross_entropy:   index,class          (with --scores: index,class,p0,...,pC-1: softmax)\n"
    "  bce_with_logits: index,p0,...         (sigmoid of each output)\n"
    "  mse:             index,y0,...         (the outputs)\n"
    "A CSV input may hold the inputs only, or the inputs followed by --target-columns\n"
    "target columns, which are ignored.",
    {
        {"Data",
         {
             {"images", "FILE", "inputs, IDX (gzip accepted)"},
             {"csv", "FILE", "inputs as CSV"},
             {"target-columns", "N", "CSV: trailing columns to ignore if present (default 1)"},
             {"csv-header", "MODE", "auto (default), yes, no"},
         }},
        {"Output",
         {
             {"output", "FILE", "where to write the CSV (default: standard output)"},
             {"loss", "NAME",
              "interpret outputs as for cross_entropy, mse or bce_with_logits (default: the\n"
              "checkpoint's loss, else cross_entropy for several outputs, mse for one)"},
             {"scores", nullptr, "cross_entropy: add the class probabilities"},
             {"raw", nullptr, "write the raw network outputs (index,out0,...)"},
             {"batch-size", "N", "samples per forward pass (default 256)"},
         }},
    },
    "Exit status: 0 done, 1 runtime failure (files, data, library), 2 usage error.",
    1,
};

// The CSV's inputs, dropping target columns when the table is wider than the network's input.
Data load_inputs(const Args &args, size_t inputs) {
  const std::string images = args.text("images"), csv = args.text("csv");
  if (images.empty() == csv.empty()) args.fail("give either --images or --csv");
  if (!images.empty()) return load_idx(images, "");
  CsvTable table = read_csv(csv, csv_header_flag(args));
  const size_t targets = static_cast<size_t>(args.integer("target-columns", 1, 1, 1 << 20));
  if (table.cols == inputs) return csv_to_data(std::move(table), 0, csv);
  if (table.cols == inputs + targets) return csv_to_data(std::move(table), targets, csv);
  throw std::runtime_error(
      csv + ": " + std::to_string(table.cols) + " columns, but the network takes " +
      std::to_string(inputs) + " inputs (expected " + std::to_string(inputs) + ", or " +
      std::to_string(inputs + targets) + " with " + std::to_string(targets) + " target column(s))");
}

void write_rows(FILE *out, const Floats &y, size_t samples, size_t outputs, int32_t loss, bool raw,
                bool scores) {
  std::vector<double> p(outputs);
  for (size_t i = 0; i < samples; ++i) {
    const float *row = y.data() + i * outputs;
    std::fprintf(out, "%zu", i);
    if (raw || loss == NNSTATE_LOSS_MSE) {
      for (size_t j = 0; j < outputs; ++j) std::fprintf(out, ",%.9g", static_cast<double>(row[j]));
    } else if (loss == NNSTATE_LOSS_BCE_WITH_LOGITS) {
      for (size_t j = 0; j < outputs; ++j) {
        std::fprintf(out, ",%.9g", 1.0 / (1.0 + std::exp(-static_cast<double>(row[j]))));
      }
    } else {
      size_t best = 0;
      for (size_t j = 1; j < outputs; ++j) {
        if (row[j] > row[best]) best = j;
      }
      std::fprintf(out, ",%zu", best);
      if (scores) {
        // Softmax shifted by the maximum so exp cannot overflow.
        double sum = 0;
        for (size_t j = 0; j < outputs; ++j) {
          p[j] = std::exp(static_cast<double>(row[j]) - static_cast<double>(row[best]));
          sum += p[j];
        }
        for (size_t j = 0; j < outputs; ++j) std::fprintf(out, ",%.6g", p[j] / sum);
      }
    }
    std::fputc('\n', out);
  }
}

void write_header(FILE *out, size_t outputs, int32_t loss, bool raw, bool scores) {
  std::fprintf(out, "index");
  if (!raw && loss == NNSTATE_LOSS_CROSS_ENTROPY) {
    std::fprintf(out, ",class");
    if (!scores) outputs = 0;
  }
  const char *prefix = raw ? "out" : loss == NNSTATE_LOSS_MSE ? "y" : "p";
  for (size_t j = 0; j < outputs; ++j) std::fprintf(out, ",%s%zu", prefix, j);
  std::fputc('\n', out);
}

}  // namespace

int cmd_predict(int argc, char **argv) {
  const Args args = Args::parse(kPredictSpec, argc, argv);
  if (args.help()) {
    print_help(kPredictSpec, stdout);
    return kExitOk;
  }
  if (args.positionals().empty()) args.fail("missing the CHECKPOINT file");
  if (!args.has("images") && !args.has("csv")) args.fail("no data: give --images or --csv");
  const std::string loss_flag =
      args.has("loss") ? args.choice("loss", "", {"cross_entropy", "mse", "bce_with_logits"}) : "";
  const bool raw = args.flag("raw"), scores = args.flag("scores");
  if (raw && scores) args.fail("give either --raw or --scores");
  const size_t batch = static_cast<size_t>(args.integer("batch-size", 256, 1, 1 << 24));
  const std::string output = args.text("output", "-");
  if (output.empty()) args.fail("--output: empty file name");

  LoadedModel model = load_model(args.positionals()[0], loss_flag);
  if (model.loss == 0)
    model.loss = model.outputs > 1 ? NNSTATE_LOSS_CROSS_ENTROPY : NNSTATE_LOSS_MSE;
  if (scores && model.loss != NNSTATE_LOSS_CROSS_ENTROPY) {
    args.fail("--scores applies to cross_entropy networks");
  }
  const Data data = load_inputs(args, model.inputs);
  if (data.features != model.inputs) {
    throw std::runtime_error(
        data.name + ": " + std::to_string(data.features) + " values per sample" +
        (data.sample_shape.empty() ? "" : " (" + data.sample_shape + ")") + ", but " + model.arch +
        " takes " + std::to_string(model.inputs) + " inputs");
  }
  const Floats y = predict_all(model, data, batch);

  FILE *out = output == "-" ? stdout : std::fopen(output.c_str(), "w");
  if (!out) throw std::runtime_error(output + ": cannot create: " + std::strerror(errno));
  write_header(out, model.outputs, model.loss, raw, scores);
  write_rows(out, y, data.samples, model.outputs, model.loss, raw, scores);
  const bool failed = std::ferror(out) != 0;
  const bool closed = out == stdout ? std::fflush(out) == 0 : std::fclose(out) == 0;
  if (failed || !closed) {
    throw std::runtime_error(output + ": write failed: " + std::strerror(errno));
  }
  return kExitOk;
}

}  // namespace nnstate_cli
