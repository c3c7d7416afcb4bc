#include "data.h"

#include <cmath>
#include <stdexcept>

#include "args.h"
#include "file_io.h"
#include "idx.h"

namespace nnstate_cli {
namespace {

// Prefixes an error raised while reading `path` with the path, once.
template <typename F>
auto with_file(const std::string &path, F &&f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::runtime_error &e) {
    const std::string message = e.what();
    if (message.compare(0, path.size() + 1, path + ":") == 0) throw;
    throw std::runtime_error(path + ": " + message);
  }
}

void classify_targets(Data &d) {
  d.class_targets = d.target_width == 1;
  for (size_t i = 0; d.class_targets && i < d.targets.size(); ++i) {
    const float t = d.targets[i];
    d.class_targets = t >= 0 && t < 16777216.0f && std::floor(t) == t;
  }
}

}  // namespace

Data load_idx(const std::string &images, const std::string &labels) {
  Data d;
  d.name = images;
  {
    const Bytes bytes = read_data_file(images);
    with_file(images, [&] {
      const IdxArray array = parse_idx(bytes.data(), bytes.size());
      idx_images(array, d.inputs, d.samples, d.features);
      d.sample_shape = idx_shape(array).substr(idx_shape(array).find('x') + 1);
    });
  }
  if (labels.empty()) return d;
  const Bytes bytes = read_data_file(labels);
  with_file(labels, [&] {
    const IdxArray array = parse_idx(bytes.data(), bytes.size());
    idx_labels(array, d.targets);
    if (array.count != d.samples) {
      throw std::runtime_error(std::to_string(array.count) + " labels, but " + images + " has " +
                               std::to_string(d.samples) + " images");
    }
  });
  d.target_width = 1;
  d.class_targets = true;
  d.targets_name = labels;
  return d;
}

CsvTable read_csv(const std::string &path, CsvHeader header) {
  const Bytes bytes = read_data_file(path);
  return with_file(path, [&] {
    return parse_csv(reinterpret_cast<const char *>(bytes.data()), bytes.size(), header);
  });
}

Data csv_to_data(CsvTable table, size_t target_columns, const std::string &name) {
  if (target_columns >= table.cols) {
    throw std::runtime_error(name + ": " + std::to_string(table.cols) +
                             " columns leave no input column after " +
                             std::to_string(target_columns) + " target column(s)");
  }
  Data d;
  d.name = d.targets_name = name;
  d.samples = table.rows;
  d.features = table.cols - target_columns;
  d.target_width = target_columns;
  if (target_columns == 0) {
    d.inputs = std::move(table.values);
    return d;
  }
  d.inputs.resize(d.samples * d.features);
  d.targets.resize(d.samples * d.target_width);
  for (size_t r = 0; r < d.samples; ++r) {
    const float *row = table.values.data() + r * table.cols;
    std::copy(row, row + d.features, d.inputs.data() + r * d.features);
    std::copy(row + d.features, row + table.cols, d.targets.data() + r * d.target_width);
  }
  classify_targets(d);
  return d;
}

Data load_csv(const std::string &path, size_t target_columns, CsvHeader header) {
  return csv_to_data(read_csv(path, header), target_columns, path);
}

void split_validation(const Data &data, double fraction, DataView &train, DataView &validation) {
  const size_t keep = static_cast<size_t>(static_cast<double>(data.samples) * (1.0 - fraction));
  if (keep == 0 || keep == data.samples) {
    throw UsageError("--validation-split " + std::to_string(fraction) + " of " +
                     std::to_string(data.samples) + " samples leaves " +
                     (keep == 0 ? "no training" : "no validation") + " sample");
  }
  train = DataView{&data, 0, keep};
  validation = DataView{&data, keep, data.samples - keep};
}

}  // namespace nnstate_cli
