// C API: safetensors export and import, partial loads with renames and skip patterns, and the
// reports of what a load did (src/interop/).
#include <array>

#include "checkpoint/io.h"
#include "guard.h"
#include "handles.h"
#include "interop/safetensors.h"
#include "interop/tensor_transfer.h"
#include "save_options.h"
#include "text_out.h"

using nnstate::capi::guard;
using nnstate::capi::require_arg;
namespace interop = nnstate::interop;

struct nnstate_load_report {
  std::array<std::vector<std::string>, 5> lists;  // indexed by NNSTATE_REPORT_*
};

namespace {

void hand_out(const interop::TransferReport &r, nnstate_load_report **report) {
  if (!report) return;
  auto out = std::make_unique<nnstate_load_report>();
  out->lists = {r.loaded, r.skipped, r.missing, r.unexpected, r.mismatched};
  *report = out.release();
}

const std::vector<std::string> &list_of(const nnstate_load_report *report, int32_t list) {
  require_arg(report, "report");
  if (list < NNSTATE_REPORT_LOADED || list > NNSTATE_REPORT_MISMATCHED) {
    nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT,
                  "list is " + std::to_string(list) + " (expected an NNSTATE_REPORT_* value)");
  }
  return report->lists[static_cast<size_t>(list)];
}

// `count` strings of a C array that may be NULL only when count is 0.
std::vector<std::string> strings(const char *const *array, size_t count, const char *name) {
  std::vector<std::string> out;
  if (count > 0) require_arg(array, name);
  for (size_t i = 0; i < count; ++i) {
    if (!array[i]) {
      nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT,
                    std::string(name) + "[" + std::to_string(i) + "] is NULL");
    }
    out.emplace_back(array[i]);
  }
  return out;
}

interop::TransferOptions transfer_options(const nnstate_partial_load_options *options) {
  interop::TransferOptions o;
  o.strict = false;
  if (!options) return o;
  nnstate::capi::check_struct_size(options, "nnstate_partial_load_options");
  o.strict = options->strict != 0;
  const auto from = strings(options->rename_from, options->rename_count, "options->rename_from");
  const auto to = strings(options->rename_to, options->rename_count, "options->rename_to");
  for (size_t i = 0; i < from.size(); ++i) o.renames.emplace_back(from[i], to[i]);
  o.skip = strings(options->skip_patterns, options->skip_count, "options->skip_patterns");
  return o;
}

}  // namespace

extern "C" {

nnstate_status nnstate_network_save_safetensors(nnstate_network *network, const char *path,
                                                const nnstate_save_options *options) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(path, "path");
    const nnstate::checkpoint::SaveOptions o = nnstate::capi::to_save_options(options);
    interop::save_safetensors(network->model.network(), path, o.sync, o.metadata);
  });
}

nnstate_status nnstate_network_load_safetensors(nnstate_network *network, const char *path,
                                                int32_t strict, nnstate_load_report **report) {
  return guard([&] {
    if (report) *report = nullptr;
    require_arg(network, "network");
    require_arg(path, "path");
    nnstate::checkpoint::FileSource source(path);
    interop::TransferOptions o;
    o.strict = strict != 0;
    hand_out(
        interop::transfer_tensors(network->model.network(), *interop::open_safetensors(source), o),
        report);
  });
}

nnstate_status nnstate_partial_load_options_init(nnstate_partial_load_options *options) {
  return guard([&] {
    require_arg(options, "options");
    *options = nnstate_partial_load_options{};
    options->struct_size = sizeof *options;
  });
}

nnstate_status nnstate_network_load_partial(nnstate_network *network, const char *path,
                                            const nnstate_partial_load_options *options,
                                            nnstate_load_report **report) {
  return guard([&] {
    if (report) *report = nullptr;
    require_arg(network, "network");
    require_arg(path, "path");
    const interop::TransferOptions o = transfer_options(options);
    nnstate::checkpoint::FileSource source(path);
    hand_out(
        interop::transfer_tensors(network->model.network(), *interop::open_tensor_file(source), o),
        report);
  });
}

nnstate_status nnstate_load_report_count(const nnstate_load_report *report, int32_t list,
                                         size_t *out) {
  return guard([&] {
    require_arg(out, "out");
    *out = list_of(report, list).size();
  });
}

nnstate_status nnstate_load_report_name(const nnstate_load_report *report, int32_t list,
                                        size_t index, const char **out) {
  return guard([&] {
    require_arg(out, "out");
    *out = nullptr;
    const std::vector<std::string> &names = list_of(report, list);
    if (index >= names.size()) {
      nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT, "index " + std::to_string(index) +
                                                      " is out of range (the list has " +
                                                      std::to_string(names.size()) + " names)");
    }
    *out = names[index].c_str();
  });
}

void nnstate_load_report_free(nnstate_load_report *report) {
  delete report;
}

nnstate_status nnstate_safetensors_metadata(const char *path, const char *key, char *buffer,
                                            size_t capacity, size_t *size_out) {
  return guard([&] {
    require_arg(size_out, "size_out");
    *size_out = 0;
    require_arg(path, "path");
    require_arg(key, "key");
    nnstate::checkpoint::FileSource source(path);
    const interop::SafetensorsHeader header = interop::read_safetensors_header(source);
    const std::string *value = header.metadata_value(key);
    if (!value) {
      nnstate::fail(NNSTATE_ERR_NOT_FOUND,
                    interop::describe_safetensors(path) + " has no metadata key \"" + key + "\"");
    }
    nnstate::capi::copy_text_out(*value, buffer, capacity, size_out);
  });
}

}  // extern "C"
