// One row of training history per epoch, and lookup of a metric by its Keras-style name.
#pragma once

#include <cstdint>
#include <string>

namespace nnstate {

struct HistoryRow {
  int64_t epoch = 0;          // 0-based
  double loss = 0.0;          // sample-weighted mean training loss of the epoch
  double accuracy = 0.0;      // NaN when the loss has no accuracy
  double val_loss = 0.0;      // NaN without a validation set
  double val_accuracy = 0.0;  // NaN without a validation set or accuracy
  double lr = 0.0;            // learning rate at the end of the epoch, before the scheduler step
  double seconds = 0.0;       // wall time (not part of the determinism contract)
};

// Names: "loss", "accuracy", "val_loss", "val_accuracy", "lr". Throws Error for others.
double history_metric(const HistoryRow &row, const std::string &name);
// The field that holds metric `name`, for code that fills rows (e.g. a checkpoint reader).
double &history_field(HistoryRow &row, const std::string &name);
// Every metric name, in the order of HistoryRow's fields.
extern const char *const kHistoryMetrics[5];
bool is_history_metric(const std::string &name);
// Throws INVALID_ARGUMENT naming `who` (e.g. "early stopping") when `name` is not a metric: the
// one check of every monitor, run when it is configured rather than when fit() needs it.
void require_history_metric(const std::string &name, const char *who);

}  // namespace nnstate
