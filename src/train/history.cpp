#include "train/history.h"

#include "util/error.h"

namespace nnstate {

const char *const kHistoryMetrics[5] = {"loss", "accuracy", "val_loss", "val_accuracy", "lr"};

bool is_history_metric(const std::string &name) {
  for (const char *known : kHistoryMetrics) {
    if (name == known) return true;
  }
  return false;
}

double &history_field(HistoryRow &row, const std::string &name) {
  if (name == "loss") return row.loss;
  if (name == "accuracy") return row.accuracy;
  if (name == "val_loss") return row.val_loss;
  if (name == "val_accuracy") return row.val_accuracy;
  if (name == "lr") return row.lr;
  fail(NNSTATE_ERR_INVALID_ARGUMENT,
       "unknown metric \"" + name + "\" (known: loss, accuracy, val_loss, val_accuracy, lr)");
}

void require_history_metric(const std::string &name, const char *who) {
  if (is_history_metric(name)) return;
  fail(NNSTATE_ERR_INVALID_ARGUMENT, std::string(who) + " monitors unknown metric \"" + name +
                                         "\" (known: loss, accuracy, val_loss, val_accuracy, lr)");
}

double history_metric(const HistoryRow &row, const std::string &name) {
  return history_field(const_cast<HistoryRow &>(row), name);
}

}  // namespace nnstate
