// In-memory datasets loaded from IDX or CSV files, and the checks that they fit a network.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "csv.h"
#include "large_alloc.h"

namespace nnstate_cli {

struct Data {
  std::string name;          // the inputs' file, for messages
  std::string targets_name;  // the targets' file (IDX labels, or the same CSV)
  size_t samples = 0, features = 0;
  size_t target_width = 0;  // targets per sample; 0: no targets
  Floats inputs, targets;
  bool class_targets = false;  // one target per sample, each a non-negative integer
  std::string sample_shape;    // "28x28" for IDX images, empty for CSV
};

// A contiguous range of samples of a Data: what the library's datasets borrow.
struct DataView {
  const Data *data = nullptr;
  size_t first = 0, samples = 0;
  const float *inputs() const { return data->inputs.data() + first * data->features; }
  const float *targets() const { return data->targets.data() + first * data->target_width; }
};

// IDX images, with labels unless `labels` is empty. Errors start with the file name.
Data load_idx(const std::string &images, const std::string &labels);

// A CSV file; its last `target_columns` columns are the targets (0: none). Errors start with
// the file name.
Data load_csv(const std::string &path, size_t target_columns, CsvHeader header);
// The same from a parsed table (for callers that decide the target columns from its width).
Data csv_to_data(CsvTable table, size_t target_columns, const std::string &name);
CsvTable read_csv(const std::string &path, CsvHeader header);

// Splits off the last `fraction` of the samples (as Keras' validation_split does: before any
// shuffling). Throws a usage error when a part would be empty.
void split_validation(const Data &data, double fraction, DataView &train, DataView &validation);

}  // namespace nnstate_cli
