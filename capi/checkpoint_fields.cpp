// C API: the named fields of an open checkpoint (nnstate_checkpoint_field_*), listed once per
// handle from its validated contents.
#include "guard.h"
#include "handles.h"

using nnstate::capi::guard;
using nnstate::capi::require_arg;

namespace {

const std::vector<nnstate::checkpoint::Field> &fields_of(const nnstate_checkpoint *checkpoint) {
  if (!checkpoint->fields_built) {
    checkpoint->fields = nnstate::checkpoint::describe_fields(checkpoint->contents);
    checkpoint->fields_built = true;
  }
  return checkpoint->fields;
}

}  // namespace

extern "C" {

nnstate_status nnstate_checkpoint_field_count(const nnstate_checkpoint *checkpoint, size_t *out) {
  return guard([&] {
    require_arg(checkpoint, "checkpoint");
    require_arg(out, "out");
    *out = fields_of(checkpoint).size();
  });
}

nnstate_status nnstate_checkpoint_field_at(const nnstate_checkpoint *checkpoint, size_t index,
                                           const char **name, const char **value, int32_t *flags) {
  return guard([&] {
    require_arg(checkpoint, "checkpoint");
    const auto &fields = fields_of(checkpoint);
    if (index >= fields.size()) {
      nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT, "field " + std::to_string(index) +
                                                      " does not exist (" +
                                                      std::to_string(fields.size()) + " fields)");
    }
    const nnstate::checkpoint::Field &f = fields[index];
    if (name) *name = f.name.c_str();
    if (value) *value = f.value.c_str();
    if (flags) *flags = f.wall_clock ? NNSTATE_FIELD_WALL_CLOCK : 0;
  });
}

}  // extern "C"
