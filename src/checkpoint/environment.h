// The BLAS build and threading this process runs with, as the checkpoint records it: the one
// place that asks OpenBLAS, for the writer (to store it) and the resume (to compare with it).
#pragma once

#include "checkpoint/contents.h"

namespace nnstate::checkpoint {

Environment current_environment();

}  // namespace nnstate::checkpoint
