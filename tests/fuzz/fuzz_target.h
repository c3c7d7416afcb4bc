// Every fuzz target defines the libFuzzer entry point. Built with -fsanitize=fuzzer it is driven
// by libFuzzer; otherwise replay_main.cpp calls it on files (the checked-in corpus and past
// crash reproducers), which is how the normal test suite replays them.
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
