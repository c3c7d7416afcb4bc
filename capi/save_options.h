// Conversion of the C save options to the core's, shared by network and trainer saves.
#pragma once

#include "checkpoint/save.h"
#include "nnstate/nnstate.h"

namespace nnstate::capi {

// NULL gives the defaults. Throws Error for a wrong struct_size or NULL metadata entries.
checkpoint::SaveOptions to_save_options(const nnstate_save_options *options);

}  // namespace nnstate::capi
