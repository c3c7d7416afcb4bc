// C API: saving, loading, verifying and inspecting checkpoints (src/checkpoint/).
#include <cstring>
#include <functional>

#include "checkpoint/container.h"
#include "checkpoint/data.h"
#include "checkpoint/load.h"
#include "checkpoint/reader.h"
#include "checkpoint/save.h"
#include "guard.h"
#include "handles.h"
#include "save_options.h"

using nnstate::capi::guard;
using nnstate::capi::require_arg;
namespace ck = nnstate::checkpoint;

namespace {

const char *kBufferLabel = "<memory buffer>";

ck::LoadOptions load_options(const nnstate_load_options *options) {
  if (options) nnstate::capi::check_struct_size(options, "nnstate_load_options");
  ck::LoadOptions o;
  if (!options) return o;
  if (options->what != NNSTATE_LOAD_FULL && options->what != NNSTATE_LOAD_WEIGHTS_ONLY) {
    nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT,
                  "nnstate_load_options.what is " + std::to_string(options->what) +
                      " (expected NNSTATE_LOAD_FULL or NNSTATE_LOAD_WEIGHTS_ONLY)");
  }
  o.mode = static_cast<ck::LoadMode>(options->what);
  o.verify_crc = options->verify_crc != 0;
  return o;
}

nnstate_status load_new(nnstate_network **out, const ck::Source &source,
                        const nnstate_load_options *options) {
  return guard([&] {
    std::unique_ptr<nnstate::Model> model = ck::load(source, load_options(options));
    auto handle = std::make_unique<nnstate_network>(0);
    handle->model = std::move(*model);
    *out = handle.release();
  });
}

nnstate_status open_checkpoint(nnstate_checkpoint **out,
                               const std::function<std::unique_ptr<ck::Source>()> &make,
                               const nnstate_load_options *options) {
  return guard([&] {
    require_arg(out, "out");
    *out = nullptr;
    const ck::LoadOptions o = load_options(options);
    auto handle = std::make_unique<nnstate_checkpoint>();
    handle->source = make();
    handle->contents = ck::read_contents(*handle->source);
    ck::check_data(*handle->source, handle->contents, o.verify_crc);
    *out = handle.release();
  });
}

const ck::TensorEntry &find_entry(const nnstate_checkpoint *c, const char *name) {
  const ck::TensorEntry *e = c->contents.find(name);
  if (!e) {
    nnstate::fail(NNSTATE_ERR_NOT_FOUND,
                  ck::describe_file(c->contents.file) + " has no tensor named \"" + name + "\"");
  }
  return *e;
}

}  // namespace

namespace nnstate::capi {

ck::SaveOptions to_save_options(const nnstate_save_options *options) {
  if (options) nnstate::capi::check_struct_size(options, "nnstate_save_options");
  ck::SaveOptions o;
  if (!options) return o;
  o.sync = options->fsync != 0;
  if (options->metadata_count > 0) {
    require_arg(options->metadata_keys, "options->metadata_keys");
    require_arg(options->metadata_values, "options->metadata_values");
  }
  for (size_t i = 0; i < options->metadata_count; ++i) {
    const char *key = options->metadata_keys[i];
    const char *value = options->metadata_values[i];
    if (!key || !value) {
      nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT,
                    "metadata pair " + std::to_string(i) + " has a NULL key or value");
    }
    o.metadata.emplace_back(key, value);
  }
  return o;
}

}  // namespace nnstate::capi

extern "C" {

nnstate_status nnstate_format_version(uint32_t *major, uint32_t *minor) {
  return guard([&] {
    require_arg(major, "major");
    require_arg(minor, "minor");
    *major = ck::kFormatMajor;
    *minor = ck::kFormatMinor;
  });
}

nnstate_status nnstate_save_options_init(nnstate_save_options *options) {
  return guard([&] {
    require_arg(options, "options");
    std::memset(options, 0, sizeof *options);
    options->struct_size = sizeof *options;
    options->fsync = 1;
  });
}

nnstate_status nnstate_load_options_init(nnstate_load_options *options) {
  return guard([&] {
    require_arg(options, "options");
    std::memset(options, 0, sizeof *options);
    options->struct_size = sizeof *options;
    options->what = NNSTATE_LOAD_FULL;
    options->verify_crc = 1;
  });
}

nnstate_status nnstate_checkpoint_save(nnstate_network *network, const char *path,
                                       const nnstate_save_options *options) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(path, "path");
    ck::save(network->model, path, nnstate::capi::to_save_options(options));
  });
}

nnstate_status nnstate_checkpoint_save_to_buffer(nnstate_network *network, void *buffer,
                                                 size_t capacity, size_t *size_out,
                                                 const nnstate_save_options *options) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(size_out, "size_out");
    *size_out = 0;
    size_t size = ck::save_to_buffer(network->model, buffer, capacity,
                                     nnstate::capi::to_save_options(options));
    *size_out = size;
    if (!buffer || size > capacity) {
      nnstate::fail(NNSTATE_ERR_SHAPE_MISMATCH, "the checkpoint needs " + std::to_string(size) +
                                                    " bytes, the buffer has " +
                                                    std::to_string(buffer ? capacity : 0));
    }
  });
}

nnstate_status nnstate_checkpoint_load(nnstate_network **out, const char *path,
                                       const nnstate_load_options *options) {
  if (!out) return nnstate::capi::set_error(NNSTATE_ERR_INVALID_ARGUMENT, "out is NULL");
  *out = nullptr;
  if (!path) return nnstate::capi::set_error(NNSTATE_ERR_INVALID_ARGUMENT, "path is NULL");
  std::unique_ptr<ck::Source> source;
  nnstate_status status = guard([&] { source = std::make_unique<ck::FileSource>(path); });
  if (status != NNSTATE_OK) return status;
  return load_new(out, *source, options);
}

nnstate_status nnstate_checkpoint_load_mapped(nnstate_network **out, const char *path,
                                              const nnstate_load_options *options) {
  if (!out) return nnstate::capi::set_error(NNSTATE_ERR_INVALID_ARGUMENT, "out is NULL");
  *out = nullptr;
  return guard([&] {
    require_arg(path, "path");
    std::unique_ptr<nnstate::Model> model = ck::load_mapped(path, load_options(options));
    auto handle = std::make_unique<nnstate_network>(0);
    handle->model = std::move(*model);
    *out = handle.release();
  });
}

nnstate_status nnstate_checkpoint_load_buffer(nnstate_network **out, const void *data, size_t size,
                                              const nnstate_load_options *options) {
  if (!out) return nnstate::capi::set_error(NNSTATE_ERR_INVALID_ARGUMENT, "out is NULL");
  *out = nullptr;
  if (!data) return nnstate::capi::set_error(NNSTATE_ERR_INVALID_ARGUMENT, "data is NULL");
  ck::MemorySource source(data, size, false, kBufferLabel);
  return load_new(out, source, options);
}

nnstate_status nnstate_checkpoint_load_into(nnstate_network *network, const char *path,
                                            const nnstate_load_options *options) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(path, "path");
    const ck::LoadOptions o = load_options(options);
    ck::FileSource source(path);
    ck::load_into(network->model, source, o);
  });
}

nnstate_status nnstate_checkpoint_load_into_buffer(nnstate_network *network, const void *data,
                                                   size_t size,
                                                   const nnstate_load_options *options) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(data, "data");
    const ck::LoadOptions o = load_options(options);
    ck::MemorySource source(data, size, false, kBufferLabel);
    ck::load_into(network->model, source, o);
  });
}

nnstate_status nnstate_checkpoint_verify(const char *path) {
  return guard([&] {
    require_arg(path, "path");
    ck::FileSource source(path);
    ck::verify_data(source, ck::read_contents(source));
  });
}

nnstate_status nnstate_checkpoint_verify_buffer(const void *data, size_t size) {
  return guard([&] {
    require_arg(data, "data");
    ck::MemorySource source(data, size, false, kBufferLabel);
    ck::verify_data(source, ck::read_contents(source));
  });
}

nnstate_status nnstate_checkpoint_open(nnstate_checkpoint **out, const char *path,
                                       const nnstate_load_options *options) {
  if (!path) {
    if (out) *out = nullptr;
    return nnstate::capi::set_error(NNSTATE_ERR_INVALID_ARGUMENT, "path is NULL");
  }
  const bool verify = !options || options->verify_crc != 0;
  return open_checkpoint(
      out, [&] { return std::make_unique<ck::MappedSource>(path, verify); }, options);
}

nnstate_status nnstate_checkpoint_open_buffer(nnstate_checkpoint **out, const void *data,
                                              size_t size, const nnstate_load_options *options) {
  if (!data) {
    if (out) *out = nullptr;
    return nnstate::capi::set_error(NNSTATE_ERR_INVALID_ARGUMENT, "data is NULL");
  }
  return open_checkpoint(
      out, [&] { return std::make_unique<ck::MemorySource>(data, size, true, kBufferLabel); },
      options);
}

void nnstate_checkpoint_free(nnstate_checkpoint *checkpoint) {
  delete checkpoint;
}

nnstate_status nnstate_checkpoint_format(const nnstate_checkpoint *checkpoint, uint32_t *major,
                                         uint32_t *minor) {
  return guard([&] {
    require_arg(checkpoint, "checkpoint");
    require_arg(major, "major");
    require_arg(minor, "minor");
    *major = checkpoint->contents.format_major;
    *minor = checkpoint->contents.format_minor;
  });
}

nnstate_status nnstate_checkpoint_writer_version(const nnstate_checkpoint *checkpoint,
                                                 const char **out) {
  return guard([&] {
    require_arg(checkpoint, "checkpoint");
    require_arg(out, "out");
    *out = checkpoint->contents.writer_version.c_str();
  });
}

nnstate_status nnstate_checkpoint_created(const nnstate_checkpoint *checkpoint, int64_t *unix_ns) {
  return guard([&] {
    require_arg(checkpoint, "checkpoint");
    require_arg(unix_ns, "unix_ns");
    *unix_ns = checkpoint->contents.created_unix_ns;
  });
}

nnstate_status nnstate_checkpoint_environment(const nnstate_checkpoint *checkpoint,
                                              const char **blas_core_type, int32_t *blas_threads) {
  return guard([&] {
    require_arg(checkpoint, "checkpoint");
    if (blas_core_type) *blas_core_type = checkpoint->contents.environment.blas_core_type.c_str();
    if (blas_threads) *blas_threads = checkpoint->contents.environment.blas_threads;
  });
}

nnstate_status nnstate_checkpoint_layer_count(const nnstate_checkpoint *checkpoint, size_t *out) {
  return guard([&] {
    require_arg(checkpoint, "checkpoint");
    require_arg(out, "out");
    *out = checkpoint->contents.layers.size();
  });
}

nnstate_status nnstate_checkpoint_tensor_count(const nnstate_checkpoint *checkpoint, size_t *out) {
  return guard([&] {
    require_arg(checkpoint, "checkpoint");
    require_arg(out, "out");
    *out = checkpoint->contents.tensors.size();
  });
}

}  // extern "C"

namespace {

const ck::TensorEntry &entry_at(const nnstate_checkpoint *checkpoint, size_t index) {
  const auto &tensors = checkpoint->contents.tensors;
  if (index >= tensors.size()) {
    nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT, "tensor index " + std::to_string(index) +
                                                    " is out of range (the file has " +
                                                    std::to_string(tensors.size()) + " tensors)");
  }
  return tensors[index];
}

}  // namespace

extern "C" {

nnstate_status nnstate_checkpoint_tensor_info(const nnstate_checkpoint *checkpoint, size_t index,
                                              const char **name, int32_t *role, int32_t *dtype,
                                              int32_t *rank, int64_t *dims) {
  return guard([&] {
    require_arg(checkpoint, "checkpoint");
    const ck::TensorEntry &e = entry_at(checkpoint, index);
    if (name) *name = e.name.c_str();
    if (role) *role = static_cast<int32_t>(e.role);
    if (dtype) *dtype = NNSTATE_DTYPE_FLOAT32;
    if (rank) *rank = e.shape.rank;
    if (dims) {
      for (int i = 0; i < e.shape.rank; ++i) dims[i] = e.shape.dims[i];
    }
  });
}

nnstate_status nnstate_checkpoint_tensor_crc32c(const nnstate_checkpoint *checkpoint, size_t index,
                                                uint32_t *crc_out) {
  return guard([&] {
    require_arg(checkpoint, "checkpoint");
    require_arg(crc_out, "crc_out");
    *crc_out = entry_at(checkpoint, index).crc32c;
  });
}

nnstate_status nnstate_checkpoint_tensor_data(const nnstate_checkpoint *checkpoint,
                                              const char *name, const float **data, size_t *count) {
  return guard([&] {
    require_arg(checkpoint, "checkpoint");
    require_arg(name, "name");
    require_arg(data, "data");
    const ck::TensorEntry &e = find_entry(checkpoint, name);
    *data =
        reinterpret_cast<const float *>(checkpoint->source->bytes() + ck::kHeaderSize + e.offset);
    if (count) *count = static_cast<size_t>(e.byte_length / sizeof(float));
  });
}

nnstate_status nnstate_checkpoint_read_tensor(const nnstate_checkpoint *checkpoint,
                                              const char *name, float *values, size_t count) {
  return guard([&] {
    require_arg(checkpoint, "checkpoint");
    require_arg(name, "name");
    require_arg(values, "values");
    const ck::TensorEntry &e = find_entry(checkpoint, name);
    if (count != e.byte_length / sizeof(float)) {
      nnstate::fail(NNSTATE_ERR_SHAPE_MISMATCH,
                    "tensor \"" + e.name + "\" has shape " + e.shape.to_string() + " = " +
                        std::to_string(e.byte_length / sizeof(float)) +
                        " values, the buffer holds " + std::to_string(count));
    }
    std::memcpy(values, checkpoint->source->bytes() + ck::kHeaderSize + e.offset, e.byte_length);
  });
}

nnstate_status nnstate_checkpoint_optimizer(const nnstate_checkpoint *checkpoint, int32_t *kind,
                                            int64_t *step) {
  return guard([&] {
    require_arg(checkpoint, "checkpoint");
    const ck::Contents &c = checkpoint->contents;
    if (kind) *kind = c.has_optimizer ? static_cast<int32_t>(c.optimizer.kind) : 0;
    if (step) *step = c.optimizer_step();
  });
}

nnstate_status nnstate_checkpoint_metadata_count(const nnstate_checkpoint *checkpoint,
                                                 size_t *out) {
  return guard([&] {
    require_arg(checkpoint, "checkpoint");
    require_arg(out, "out");
    *out = checkpoint->contents.metadata.size();
  });
}

nnstate_status nnstate_checkpoint_metadata_at(const nnstate_checkpoint *checkpoint, size_t index,
                                              const char **key, const char **value) {
  return guard([&] {
    require_arg(checkpoint, "checkpoint");
    const auto &metadata = checkpoint->contents.metadata;
    if (index >= metadata.size()) {
      nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT, "metadata index " + std::to_string(index) +
                                                      " is out of range (the file has " +
                                                      std::to_string(metadata.size()) + " pairs)");
    }
    if (key) *key = metadata[index].first.c_str();
    if (value) *value = metadata[index].second.c_str();
  });
}

nnstate_status nnstate_checkpoint_metadata_get(const nnstate_checkpoint *checkpoint,
                                               const char *key, const char **value) {
  return guard([&] {
    require_arg(checkpoint, "checkpoint");
    require_arg(key, "key");
    require_arg(value, "value");
    for (const auto &kv : checkpoint->contents.metadata) {
      if (kv.first == key) {
        *value = kv.second.c_str();
        return;
      }
    }
    nnstate::fail(NNSTATE_ERR_NOT_FOUND, ck::describe_file(checkpoint->contents.file) +
                                             " has no metadata key \"" + key + "\"");
  });
}

nnstate_status nnstate_checkpoint_verify_tensor(const nnstate_checkpoint *checkpoint,
                                                const char *name) {
  return guard([&] {
    require_arg(checkpoint, "checkpoint");
    require_arg(name, "name");
    const ck::TensorEntry &e = find_entry(checkpoint, name);
    ck::check_tensor_crc(checkpoint->contents, e,
                         checkpoint->source->bytes() + ck::kHeaderSize + e.offset);
  });
}

}  // extern "C"
