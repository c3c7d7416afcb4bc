#include "train/history.h"

#include "util/error.h"

namespace nnstate {

bool is_history_metric(const std::string &name) {
  return name == "loss" || name == "accuracy" || name == "val_loss" || name == "val_accuracy" ||
         name == "lr";
}

double history_metric(const HistoryRow &row, const std::string &name) {
  if (name == "loss") return row.loss;
  if (name == "accuracy") return row.accuracy;
  if (name == "val_loss") return row.val_loss;
  if (name == "val_accuracy") return row.val_accuracy;
  if (name == "lr") return row.lr;
  fail(NNSTATE_ERR_INVALID_ARGUMENT,
       "unknown metric \"" + name + "\" (known: loss, accuracy, val_loss, val_accuracy, lr)");
}

}  // namespace nnstate
