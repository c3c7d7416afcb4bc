#include "checkpoint_view.h"

#include <sys/stat.h>

#include <cmath>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <stdexcept>

namespace nnstate_cli {

const TensorView *CheckpointView::find(const std::string &name) const {
  for (const TensorView &t : tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const std::string *CheckpointView::meta(const std::string &key) const {
  for (const auto &kv : metadata) {
    if (kv.first == key) return &kv.second;
  }
  return nullptr;
}

uint64_t CheckpointView::bytes_of_role(int32_t role) const {
  uint64_t sum = 0;
  for (const TensorView &t : tensors) sum += t.role == role ? t.bytes : 0;
  return sum;
}

uint64_t CheckpointView::elements_of_role(int32_t role) const {
  uint64_t sum = 0;
  for (const TensorView &t : tensors) sum += t.role == role ? t.count : 0;
  return sum;
}

std::string file_error(const std::string &path, const nnstate::Error &error) {
  std::string message = error.message();
  const std::string prefix = "checkpoint \"" + path + "\": ";
  if (message.compare(0, prefix.size(), prefix) == 0) message.erase(0, prefix.size());
  return message;
}

namespace {

// The network rebuilt from the file: the only public route to the optimizer's learning rate
// and the network's sizes (at the cost of a second validation of the file). Its failure is
// reported, not fatal: the file is valid.
void rebuild_network(CheckpointView &v) {
  try {
    const nnstate::Network net = nnstate::Network::load(v.path);
    v.rebuilt = true;
    try {
      v.lr = net.lr();
      v.has_lr = true;
      v.param_groups = net.param_groups();
    } catch (const nnstate::Error &) {  // no optimizer
    }
    v.frozen = net.frozen();
    try {
      v.input_size = net.input_size();
      v.output_size = net.output_size();
    } catch (const nnstate::Error &) {  // no layer fixes them
      v.input_size = v.output_size = 0;
    }
    v.graph = graph_view(net);
  } catch (const nnstate::Error &e) {
    v.rebuild_error = file_error(v.path, e);
  }
}

}  // namespace

CheckpointView open_checkpoint_view(const std::string &path, bool rebuild) {
  CheckpointView v(path, about_file(path, [&] { return nnstate::Checkpoint(path); }));
  struct stat st;
  if (stat(path.c_str(), &st) == 0) v.file_bytes = static_cast<uint64_t>(st.st_size);
  about_file(path, [&] {
    const nnstate::Checkpoint &c = v.checkpoint;
    v.format = c.format();
    v.writer_version = c.writer_version();
    v.created_ns = c.created_unix_ns();
    v.environment = c.environment();
    v.layer_count = c.layer_count();
    v.optimizer = c.optimizer();
    v.tensors.resize(c.tensor_count());
    for (size_t i = 0; i < v.tensors.size(); ++i) {
      TensorView &t = v.tensors[i];
      static_cast<nnstate::TensorInfo &>(t) = c.tensor_info(i);
      t.crc32c = c.tensor_crc32c(i);
      const nnstate::TensorData data = c.tensor_data(t.name);
      t.data = data.data;
      t.count = data.count;
      t.bytes = static_cast<uint64_t>(t.count) * sizeof(float);
    }
    v.metadata = c.metadata();
    v.fields = c.fields();
  });
  if (rebuild) rebuild_network(v);
  return v;
}

std::vector<HistoryRow> parse_history_csv(const std::string &text, const std::string &where) {
  std::vector<HistoryRow> rows;
  // Column positions by name, so rows written by a later `nnstate train` with more columns
  // still parse.
  const char *names[] = {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"};
  int column[7] = {-1, -1, -1, -1, -1, -1, -1};
  size_t line_no = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (line.empty()) continue;
    std::vector<std::string> fields;
    for (size_t f = 0;;) {
      const size_t comma = line.find(',', f);
      fields.push_back(line.substr(f, comma == std::string::npos ? std::string::npos : comma - f));
      if (comma == std::string::npos) break;
      f = comma + 1;
    }
    if (line_no == 1) {
      for (size_t i = 0; i < fields.size(); ++i) {
        for (int k = 0; k < 7; ++k) {
          if (fields[i] == names[k]) column[k] = static_cast<int>(i);
        }
      }
      if (column[0] < 0 || column[1] < 0) {
        throw std::runtime_error(where + ": line 1: the header has no 'epoch' and 'loss' columns");
      }
      continue;
    }
    double values[7];
    for (int k = 0; k < 7; ++k) {
      values[k] = std::numeric_limits<double>::quiet_NaN();
      if (column[k] < 0) continue;
      if (static_cast<size_t>(column[k]) >= fields.size()) {
        throw std::runtime_error(where + ": line " + std::to_string(line_no) + ": " +
                                 std::to_string(fields.size()) + " fields, no '" + names[k] +
                                 "' column");
      }
      const std::string &s = fields[static_cast<size_t>(column[k])];
      char *stop = nullptr;
      values[k] = std::strtod(s.c_str(), &stop);
      if (s.empty() || *stop != '\0') {
        throw std::runtime_error(where + ": line " + std::to_string(line_no) + ": " + names[k] +
                                 " '" + s + "' is not a number");
      }
    }
    if (!std::isfinite(values[0]) || values[0] < 0 || values[0] > 1e15) {
      throw std::runtime_error(where + ": line " + std::to_string(line_no) + ": bad epoch number");
    }
    HistoryRow r;
    r.epoch = static_cast<int64_t>(values[0]);
    r.loss = values[1];
    r.accuracy = values[2];
    r.val_loss = values[3];
    r.val_accuracy = values[4];
    r.lr = values[5];
    r.seconds = values[6];
    rows.push_back(r);
  }
  return rows;
}

History checkpoint_history(const CheckpointView &view) {
  History h;
  // A trainer checkpoint stores its history; older CLI files only have the metadata copy.
  const std::vector<nnstate_epoch_info> stored =
      about_file(view.path, [&] { return view.checkpoint.history(); });
  if (!stored.empty()) {
    h.source = "training-loop state";
    for (const nnstate_epoch_info &info : stored) {
      HistoryRow r;
      r.epoch = info.epoch + 1;
      r.loss = info.loss;
      r.accuracy = info.accuracy;
      r.val_loss = info.val_loss;
      r.val_accuracy = info.val_accuracy;
      r.lr = info.lr;
      r.seconds = info.seconds;
      h.rows.push_back(r);
    }
    return h;
  }
  if (const std::string *csv = view.meta(kMetaHistory)) {
    h.source = std::string(kMetaHistory) + " metadata";
    h.rows = parse_history_csv(*csv, view.path + ": " + kMetaHistory);
  }
  return h;
}

const char *role_name(int32_t role) {
  switch (role) {
    case NNSTATE_ROLE_PARAMETER:
      return "parameter";
    case NNSTATE_ROLE_BUFFER:
      return "buffer";
    case NNSTATE_ROLE_OPTIMIZER_STATE:
      return "optimizer_state";
    case NNSTATE_ROLE_BEST_WEIGHT:
      return "best_weight";
    case NNSTATE_ROLE_GRAD_ACCUMULATION:
      return "grad_accumulation";
    case NNSTATE_ROLE_ROLLBACK_SNAPSHOT:
      return "rollback_snapshot";
    default:
      return "unknown";
  }
}

const char *dtype_name(int32_t dtype) {
  return dtype == NNSTATE_DTYPE_FLOAT32 ? "float32" : "unknown";
}

const char *optimizer_name(int32_t kind) {
  switch (kind) {
    case 0:
      return "none";
    case NNSTATE_OPTIMIZER_SGD:
      return "sgd";
    case NNSTATE_OPTIMIZER_ADAM:
      return "adam";
    case NNSTATE_OPTIMIZER_ADAMW:
      return "adamw";
    default:
      return "unknown";
  }
}

std::string shape_text(const nnstate::TensorInfo &t) {
  std::string s = "[";
  for (size_t i = 0; i < t.shape.size(); ++i) s += (i ? ", " : "") + std::to_string(t.shape[i]);
  return s + "]";
}

std::string format_time_utc(int64_t unix_ns) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ns / 1000000000);
  std::tm tm{};
  if (!gmtime_r(&seconds, &tm)) return std::to_string(unix_ns) + " ns";
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return text;
}

}  // namespace nnstate_cli
