#include "checkpoint_view.h"

#include <sys/stat.h>

#include <cmath>
#include <cstdlib>
#include <ctime>
#include <limits>

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

std::string file_error(const std::string &path, nnstate_status status) {
  std::string message = nnstate_last_error();
  if (message.empty()) message = nnstate_status_string(status);
  const std::string prefix = "checkpoint \"" + path + "\": ";
  if (message.compare(0, prefix.size(), prefix) == 0) message.erase(0, prefix.size());
  return message;
}

void check_file(nnstate_status status, const std::string &path, int code) {
  if (status == NNSTATE_OK) return;
  throw Error(status == NNSTATE_ERR_OUT_OF_MEMORY ? kExitFailure : code,
              path + ": " + file_error(path, status));
}

CheckpointView open_checkpoint_view(const std::string &path, bool rebuild) {
  CheckpointView v;
  v.path = path;
  nnstate_checkpoint *raw = nullptr;
  check_file(nnstate_checkpoint_open(&raw, path.c_str(), nullptr), path);
  v.handle.reset(raw);
  struct stat st;
  if (stat(path.c_str(), &st) == 0) v.file_bytes = static_cast<uint64_t>(st.st_size);

  check_file(nnstate_checkpoint_format(raw, &v.format_major, &v.format_minor), path);
  const char *text = nullptr;
  check_file(nnstate_checkpoint_writer_version(raw, &text), path);
  v.writer_version = text ? text : "";
  check_file(nnstate_checkpoint_created(raw, &v.created_ns), path);
  text = nullptr;
  check_file(nnstate_checkpoint_environment(raw, &text, &v.blas_threads), path);
  v.blas_core_type = text ? text : "";
  check_file(nnstate_checkpoint_layer_count(raw, &v.layer_count), path);
  check_file(nnstate_checkpoint_optimizer(raw, &v.optimizer_kind, &v.optimizer_step), path);

  size_t count = 0;
  check_file(nnstate_checkpoint_tensor_count(raw, &count), path);
  v.tensors.resize(count);
  for (size_t i = 0; i < count; ++i) {
    TensorView &t = v.tensors[i];
    const char *name = nullptr;
    check_file(nnstate_checkpoint_tensor_info(raw, i, &name, &t.role, &t.dtype, &t.rank, t.dims),
               path);
    t.name = name ? name : "";
    check_file(nnstate_checkpoint_tensor_crc32c(raw, i, &t.crc32c), path);
    check_file(nnstate_checkpoint_tensor_data(raw, t.name.c_str(), &t.data, &t.count), path);
    t.bytes = static_cast<uint64_t>(t.count) * sizeof(float);
  }

  check_file(nnstate_checkpoint_metadata_count(raw, &count), path);
  for (size_t i = 0; i < count; ++i) {
    const char *key = nullptr, *value = nullptr;
    check_file(nnstate_checkpoint_metadata_at(raw, i, &key, &value), path);
    v.metadata.emplace_back(key ? key : "", value ? value : "");
  }

  check_file(nnstate_checkpoint_field_count(raw, &count), path);
  v.fields.resize(count);
  for (size_t i = 0; i < count; ++i) {
    const char *name = nullptr, *value = nullptr;
    int32_t flags = 0;
    check_file(nnstate_checkpoint_field_at(raw, i, &name, &value, &flags), path);
    v.fields[i].name = name ? name : "";
    v.fields[i].value = value ? value : "";
    v.fields[i].wall_clock = (flags & NNSTATE_FIELD_WALL_CLOCK) != 0;
  }

  if (rebuild) {
    // A second validation of the file, but the only public route to the optimizer's learning
    // rate and the network's sizes. Its failure is reported, not fatal: the file is valid.
    nnstate_network *net = nullptr;
    const nnstate_status s = nnstate_checkpoint_load(&net, path.c_str(), nullptr);
    if (s != NNSTATE_OK) {
      v.rebuild_error = file_error(path, s);
    } else {
      NetworkPtr owned(net);
      v.rebuilt = true;
      v.has_lr = nnstate_network_get_lr(net, &v.lr) == NNSTATE_OK;
      if (nnstate_network_input_size(net, &v.input_size) != NNSTATE_OK) v.input_size = 0;
      if (nnstate_network_output_size(net, &v.output_size) != NNSTATE_OK) v.output_size = 0;
    }
  }
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
        fail_runtime(where + ": line 1: the header has no 'epoch' and 'loss' columns");
      }
      continue;
    }
    double values[7];
    for (int k = 0; k < 7; ++k) {
      values[k] = std::numeric_limits<double>::quiet_NaN();
      if (column[k] < 0) continue;
      if (static_cast<size_t>(column[k]) >= fields.size()) {
        fail_runtime(where + ": line " + std::to_string(line_no) + ": " +
                     std::to_string(fields.size()) + " fields, no '" + names[k] + "' column");
      }
      const std::string &s = fields[static_cast<size_t>(column[k])];
      char *stop = nullptr;
      values[k] = std::strtod(s.c_str(), &stop);
      if (s.empty() || *stop != '\0') {
        fail_runtime(where + ": line " + std::to_string(line_no) + ": " + names[k] + " '" + s +
                     "' is not a number");
      }
    }
    if (!std::isfinite(values[0]) || values[0] < 0 || values[0] > 1e15) {
      fail_runtime(where + ": line " + std::to_string(line_no) + ": bad epoch number");
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
  size_t stored = 0;
  if (nnstate_checkpoint_history_count(view.handle.get(), &stored) == NNSTATE_OK && stored > 0) {
    h.source = "training-loop state";
    for (size_t i = 0; i < stored; ++i) {
      nnstate_epoch_info info;
      info.struct_size = sizeof info;
      if (nnstate_checkpoint_history_row(view.handle.get(), i, &info) != NNSTATE_OK) break;
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

std::string shape_text(const TensorView &t) {
  std::string s = "[";
  for (int32_t i = 0; i < t.rank && i < 4; ++i) s += (i ? ", " : "") + std::to_string(t.dims[i]);
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
