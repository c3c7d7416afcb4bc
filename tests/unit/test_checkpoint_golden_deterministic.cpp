// The golden format 1.3 checkpoint of a run in the deterministic mode
// (tests/data/v1/deterministic_trainer.nnst, written once by
// tests/helpers/checkpoint_make_golden_deterministic.cpp on 2 threads): its chunk size reads
// back forever, and it resumes on either thread count to the same bits (on the core that wrote it,
// to the end of the run that wrote it).
#include <doctest/doctest.h>

#include <cstring>

#include "checkpoint/data.h"
#include "checkpoint/environment.h"
#include "checkpoint/io.h"
#include "checkpoint/load.h"
#include "checkpoint/reader.h"
#include "deterministic_golden_net.h"
#include "golden_bits.h"

using namespace nnstate;
using namespace nnstate::checkpoint;

namespace {

const std::string kFile = std::string(NNSTATE_GOLDEN_DIR) + "/v1/deterministic_trainer.nnst";

std::vector<float> parameters(Model &model) {
  std::vector<float> out;
  for (const TensorRef &r : model.trainable_parameters()) {
    out.insert(out.end(), r.value->data(), r.value->data() + r.value->numel());
  }
  return out;
}

const deterministic_golden::Data &data_for_resume() {
  static const deterministic_golden::Data data;
  return data;
}

// Resumes the golden run on `threads` threads to its end.
std::vector<float> resume_golden(int threads, const Contents &file_contents) {
  Model model(5);
  deterministic_golden::build(model, threads);
  Trainer trainer(model, deterministic_golden::config(5));
  const MappedSource source(kFile, false);
  const std::vector<std::string> warnings = resume_trainer(trainer, source);
  // A different OpenBLAS core may be named; a different chunking must not be.
  for (const std::string &w : warnings) CHECK(w.find("deterministic mode") == std::string::npos);
  CHECK(trainer.state().global_step == file_contents.trainer.global_step);
  CHECK(model.deterministic_chunk_size() == deterministic_golden::kChunk);
  CHECK(trainer.fit(data_for_resume().dataset(), nullptr, nullptr) == StopReason::completed);
  return parameters(model);
}

}  // namespace

TEST_CASE("golden v1.3: the deterministic mode's chunk size reads back") {
  FileSource source(kFile);
  const Contents c = read_contents(source);
  verify_data(source, c);
  CHECK(c.format_major == 1);
  CHECK(c.format_minor == 3);
  CHECK(c.trainer_deterministic_chunk_size == deterministic_golden::kChunk);
  // Values printed by the generator when the file was written.
  CHECK(c.trainer.epoch == 2);
  CHECK(c.trainer.global_step == 8);
  CHECK(c.trainer.batch_in_epoch == 2);
  nnstate::testing::check_first_values(source, c,
                                       {{"0.weight", 0x3dbd2d40u},
                                        {"1.weight", 0x3f7ea60fu},
                                        {"4.weight", 0x3e94f450u},
                                        {"4.bias", 0x3e59bac4u}});
}

TEST_CASE("golden v1.3: the deterministic run resumes on 1 thread and ends as on 2") {
  FileSource file(kFile);
  const Contents c = read_contents(file);
  // The deterministic mode's promise, on whatever OpenBLAS core runs the test: the same bits on
  // 1 thread as on 2.
  const std::vector<float> one = resume_golden(1, c), two = resume_golden(2, c);
  REQUIRE(one.size() == two.size());
  CHECK(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)) == 0);

  // On the core that wrote the file, the resumed run ends as the uninterrupted one (within the
  // last bits). On another core the first 8 steps' rounding differs, and this small run with a
  // large learning rate carries that far: compared only where it means something.
  if (c.environment.blas_core_type == current_environment().blas_core_type) {
    Model straight(47);
    deterministic_golden::build(straight, 2);
    Trainer straight_trainer(straight, deterministic_golden::config(5));
    straight_trainer.fit(data_for_resume().dataset(), nullptr, nullptr);
    const std::vector<float> a = parameters(straight);
    REQUIRE(a.size() == one.size());
    for (size_t i = 0; i < a.size(); ++i) CHECK(one[i] == doctest::Approx(a[i]).epsilon(1e-5));
  }
}
