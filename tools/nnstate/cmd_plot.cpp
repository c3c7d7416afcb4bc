// `nnstate plot FILE -o curves.svg`: the training curves recorded in a checkpoint, as SVG.
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "args.h"
#include "checkpoint_view.h"
#include "commands.h"
#include "svg_plot.h"

namespace nnstate_cli {
namespace {

const CommandSpec kPlotSpec = {
    "plot",
    "FILE -o OUTPUT.svg [options]",
    "Draws the training curves of the checkpoint FILE as a self-contained SVG image (open it\n"
    "in a browser): training and validation loss, training and validation accuracy (when the\n"
    "loss has one), and the learning rate (on a log scale when it spans a factor of 10 or\n"
    "more), one panel each, per epoch. The history comes from the checkpoint's training-loop\n"
    "state (files written by a trainer), else from the cli.history metadata of older files.",
    {
        {"Output",
         {
             {"output", "FILE", "the SVG file to write (also -o FILE; '-' for stdout)"},
             {"title", "TEXT", "the chart's title (default: the checkpoint's file name)"},
         }},
    },
    "Exit status: 0 done, 1 the file is missing or invalid, has no history, or the output\n"
    "cannot be written, 2 usage error.",
    1,
};

bool any_finite(const std::vector<double> &v) {
  for (double x : v) {
    if (std::isfinite(x)) return true;
  }
  return false;
}

// A log scale only helps when the rate changes by at least a factor of 10.
bool wants_log(const std::vector<double> &v) {
  double lo = INFINITY, hi = 0;
  for (double x : v) {
    if (!std::isfinite(x)) continue;
    if (x <= 0) return false;
    lo = std::min(lo, x), hi = std::max(hi, x);
  }
  return hi > 0 && hi / lo >= 10;
}

void write_file(const std::string &path, const std::string &text) {
  if (path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    if (std::fflush(stdout) != 0) throw std::runtime_error("plot: cannot write to stdout");
    return;
  }
  // Write beside the target and rename, so a failed run never leaves half an SVG behind.
  const std::string temporary = path + ".tmp";
  FILE *f = std::fopen(temporary.c_str(), "wb");
  if (!f) throw std::runtime_error(path + ": cannot create: " + std::strerror(errno));
  const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const int saved = errno;
  if (std::fclose(f) != 0 || !written) {
    std::remove(temporary.c_str());
    throw std::runtime_error(path + ": cannot write: " + std::strerror(written ? errno : saved));
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const int e = errno;
    std::remove(temporary.c_str());
    throw std::runtime_error(path + ": cannot write: " + std::strerror(e));
  }
}

}  // namespace

int cmd_plot(int argc, char **argv) {
  // "-o FILE" is the conventional spelling; the option tables only know long names.
  std::vector<char *> rewritten(argv, argv + argc);
  char output_option[] = "--output";
  for (char *&a : rewritten) {
    if (std::strcmp(a, "-o") == 0) a = output_option;
  }
  const Args args = Args::parse(kPlotSpec, argc, rewritten.data());
  if (args.help()) {
    print_help(kPlotSpec, stdout);
    return kExitOk;
  }
  if (args.positionals().empty()) args.fail("missing the checkpoint FILE");
  if (!args.has("output") || args.text("output").empty()) args.fail("missing -o OUTPUT.svg");
  const std::string path = args.positionals()[0];
  const CheckpointView view = open_checkpoint_view(path, false);
  const History history = checkpoint_history(view);
  if (history.rows.empty()) {
    throw std::runtime_error(path + ": no training history to plot (" +
                             (history.source.empty()
                                  ? "no " + std::string(kMetaHistory) + " metadata"
                                  : history.source + " has no rows") +
                             "; checkpoints of a trainer and of 'nnstate train' have one)");
  }

  Chart chart;
  chart.title = args.text("title", path);
  chart.subtitle = std::to_string(history.rows.size()) + " epoch(s), from the " + history.source +
                   "; optimizer " + optimizer_name(view.optimizer.kind) + ", step " +
                   std::to_string(view.optimizer.step);
  chart.x_label = "epoch";
  Series loss{"training loss", "#1f77b4", false, {}};
  Series val_loss{"validation loss", "#ff7f0e", true, {}};
  Series accuracy{"training accuracy", "#2ca02c", false, {}};
  Series val_accuracy{"validation accuracy", "#d62728", true, {}};
  Series lr{"learning rate", "#9467bd", false, {}};
  for (const HistoryRow &r : history.rows) {
    chart.x.push_back(static_cast<double>(r.epoch));
    loss.y.push_back(r.loss);
    val_loss.y.push_back(r.val_loss);
    accuracy.y.push_back(r.accuracy);
    val_accuracy.y.push_back(r.val_accuracy);
    lr.y.push_back(r.lr);
  }
  // Curves that do not exist (no validation data, accuracy of mse) are left out.
  Panel losses{"Loss", "loss", false, {loss}};
  if (any_finite(val_loss.y)) losses.series.push_back(val_loss);
  chart.panels.push_back(losses);
  Panel accuracies{"Accuracy", "accuracy", false, {}};
  if (any_finite(accuracy.y)) accuracies.series.push_back(accuracy);
  if (any_finite(val_accuracy.y)) accuracies.series.push_back(val_accuracy);
  if (!accuracies.series.empty()) chart.panels.push_back(accuracies);
  if (any_finite(lr.y)) chart.panels.push_back(Panel{"Learning rate", "lr", wants_log(lr.y), {lr}});

  write_file(args.text("output"), render_svg(chart));
  if (args.text("output") != "-") {
    size_t curves = 0;
    for (const Panel &p : chart.panels) curves += p.series.size();
    std::printf("wrote %s: %zu curve(s) over %zu epoch(s)\n", args.text("output").c_str(), curves,
                history.rows.size());
  }
  return kExitOk;
}

}  // namespace nnstate_cli
