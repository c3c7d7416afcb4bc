// Runs one input through every way the library reads a checkpoint: verify_buffer, open_buffer
// (with and without tensor CRCs) and every query, load_buffer (full and weights only),
// load_into_buffer into the network the input itself describes and into a fixed one, and
// trainer resume (from a file in /dev/shm: the API resumes from files only).
#pragma once

#include <cstddef>
#include <cstdint>

void exercise_checkpoint(const uint8_t *data, size_t size);
