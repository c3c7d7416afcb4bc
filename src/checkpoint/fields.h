// Every value of a checkpoint other than tensor data and user metadata, as (full name, text)
// pairs in a fixed order: what `nnstate diff` compares and the C API lists
// (nnstate_checkpoint_field_*). Built from the validated Contents, so a field added to the
// format is compared once it is listed here.
#pragma once

#include <string>
#include <vector>

#include "checkpoint/contents.h"

namespace nnstate::checkpoint {

struct Field {
  std::string name;         // "scheduler.state.num_bad_epochs", "trainer.history[2].val_loss"
  std::string value;        // decimal integers; floating point that reads back to the same bits
  bool wall_clock = false;  // a time measurement, outside the determinism contract
};

std::vector<Field> describe_fields(const Contents &contents);

// The text of a double that reads back to the same bits: the shortest of %.15g..%.17g; a NaN
// other than the default quiet NaN shows its bits ("nan(0x7ff8000000000001)").
std::string exact_text(double value);

}  // namespace nnstate::checkpoint
