// The data options shared by train, evaluate and predict: IDX images (+ labels) or a CSV file.
#pragma once

#include <string>

#include "args.h"
#include "csv.h"
#include "data.h"

namespace nnstate_cli {

struct DataFlags {
  std::string images, labels, csv;
  bool given() const { return !images.empty() || !csv.empty(); }
};

// Reads --<prefix>images, --<prefix>labels and --<prefix>csv ("" or "val-"), refusing
// impossible combinations. `need_labels`: IDX images require labels.
DataFlags data_flags(const Args &args, const std::string &prefix, bool need_labels);

// --csv-header auto|yes|no
CsvHeader csv_header_flag(const Args &args);

// Loads what `flags` name; CSV files keep their last `target_columns` columns as targets.
Data load_data(const DataFlags &flags, size_t target_columns, CsvHeader header);

}  // namespace nnstate_cli
