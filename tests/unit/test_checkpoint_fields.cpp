// The named fields of a checkpoint (checkpoint/fields.h): texts that read back to the same bits,
// and the fields each kind of state contributes.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "checkpoint/fields.h"

using namespace nnstate;
using namespace nnstate::checkpoint;

namespace {

const Field *find(const std::vector<Field> &fields, const std::string &name) {
  for (const Field &f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("exact_text: the shortest text that reads back to the same bits") {
  CHECK(exact_text(0.1) == "0.1");
  CHECK(exact_text(1e-3) == "0.001");
  CHECK(exact_text(std::nextafter(1e-3, 1.0)) == "0.0010000000000000002");
  CHECK(exact_text(-0.0) == "-0");
  CHECK(exact_text(0.0) == "0");
  CHECK(exact_text(std::numeric_limits<double>::infinity()) == "inf");
  CHECK(exact_text(std::numeric_limits<double>::quiet_NaN()) == "nan");
  double payload = 0;
  const uint64_t bits = 0x7ff8000000000001ull;
  std::memcpy(&payload, &bits, sizeof bits);
  CHECK(exact_text(payload) == "nan(0x7ff8000000000001)");
  for (double v : {1.0 / 3.0, 2.0 / 3.0, 1e300, 5e-324, 123456.789}) {
    CHECK(std::strtod(exact_text(v).c_str(), nullptr) == v);
  }
}

TEST_CASE("describe_fields lists the training-loop state by full name") {
  Contents c;
  c.format_major = 1;
  LayerConfig linear(LayerKind::linear);
  auto &o = linear.as<LinearConfig>();
  o.in_features = 3;
  o.out_features = 2;
  c.layers = {linear};
  c.has_scheduler = true;
  c.scheduler.kind = SchedulerKind::reduce_on_plateau;
  c.scheduler_monitor = "val_loss";
  c.scheduler_state.num_bad_epochs = 1;
  c.has_trainer = true;
  c.trainer.epoch = 1;
  c.trainer.history.resize(1);
  c.trainer.history[0].seconds = 2.5;
  const std::vector<Field> fields = describe_fields(c);

  REQUIRE(find(fields, "scheduler.state.num_bad_epochs"));
  CHECK(find(fields, "scheduler.state.num_bad_epochs")->value == "1");
  CHECK(find(fields, "scheduler.monitor")->value == "val_loss");
  CHECK(find(fields, "architecture.layers[0].kind")->value == "Linear");
  CHECK(find(fields, "architecture.layers[0].out_features")->value == "2");
  CHECK(find(fields, "early_stopping.enabled")->value == "false");
  CHECK(find(fields, "optimizer.kind")->value == "none");
  CHECK(find(fields, "trainer.history[0].seconds")->wall_clock);
  CHECK(find(fields, "created_unix_ns")->wall_clock);
  CHECK_FALSE(find(fields, "trainer.history[0].loss")->wall_clock);
  // Names are unique: diff matches fields by name.
  for (size_t i = 0; i < fields.size(); ++i) {
    for (size_t j = i + 1; j < fields.size(); ++j) CHECK(fields[i].name != fields[j].name);
  }
}
