// Raw bytes through every checkpoint load path. Most mutants stop at the header or manifest
// CRC; fuzz_checkpoint_crc gets past them.
#include "checkpoint_exercise.h"
#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  exercise_checkpoint(data, size);
  return 0;
}
