// Hostile checkpoints with valid CRCs (the outside review's defects): layers the file cannot
// hold, misaligned 8-byte vectors, bytes no tensor covers, corrupt best weights and training
// positions outside the run. Each is refused by every load path with a message naming the field.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>
#include <algorithm>

#include <functional>

#include "checkpoint/container.h"
#include "checkpoint_craft.h"
#include "test_checkpoint_util.h"
#include "util/error.h"

using namespace nnstate;
using namespace nnstate::checkpoint;
using ckpt_craft::LyingLayer;
using ckpt_craft::TrainedTrainer;

namespace {

struct Outcome {
  nnstate_status status = NNSTATE_OK;
  std::string message;
};

Outcome outcome(const std::function<void()> &f) {
  Outcome o;
  try {
    f();
  } catch (const Error &e) {
    o.status = e.status();
    o.message = e.what();
  }
  return o;
}

LoadOptions weights_only() {
  LoadOptions o;
  o.mode = LoadMode::weights_only;
  return o;
}

// Runs `check` on the outcome of every way of reading `bytes`: verify, load (full and weights
// only), load_into (full, into `into` when given), open of a file (with and without CRCs).
// `skips_best_weights`: the paths that skip tensors the network does not use.
void every_path(const std::vector<unsigned char> &bytes, Model *into,
                const std::function<void(const std::string &, const Outcome &)> &check) {
  MemorySource memory(bytes.data(), bytes.size(), false, "<hostile>");
  check("verify", outcome([&] { verify_data(memory, read_contents(memory)); }));
  check("load", outcome([&] { load(memory, LoadOptions{}); }));
  check("load weights_only", outcome([&] { load(memory, weights_only()); }));
  if (into) check("load_into", outcome([&] { load_into(*into, memory, LoadOptions{}); }));
  ckpt_test::TempDir dir;
  const std::string path = dir.file("hostile.nnst");
  ckpt_test::write_file(path, bytes);
  check("load file", outcome([&] {
          FileSource file(path);
          load(file, LoadOptions{});
        }));
  for (bool crc : {true, false}) {
    check(crc ? "open" : "open without CRC", outcome([&] {
            MappedSource mapped(path, crc);
            check_data(mapped, read_contents(mapped), crc);
          }));
  }
}

void refused_everywhere(const std::vector<unsigned char> &bytes, const std::string &needle,
                        Model *into = nullptr) {
  every_path(bytes, into, [&](const std::string &path, const Outcome &o) {
    INFO(path << ": " << o.message);
    CHECK(o.status == NNSTATE_ERR_CORRUPT);
    CHECK(o.message.find(needle) != std::string::npos);
  });
}

std::vector<unsigned char> repro(const std::string &name) {
  auto bytes = ckpt_test::read_file(std::string(NNSTATE_GOLDEN_DIR) + "/repro/" + name);
  REQUIRE(!bytes.empty());
  return bytes;
}

}  // namespace

TEST_CASE("hostile: the review's reproducers are refused by every load path, naming the field") {
  refused_everywhere(repro("conv_kernel_2e25_high.nnst"), "kernel_size (33554435, 3)");
  refused_everywhere(repro("misaligned_int64_shape.nnst"), "architecture.sample_input_shape");
  refused_everywhere(repro("batch_in_epoch_1e15.nnst"), "trainer.batch_in_epoch");

  // One flipped bit in early stopping's best weights: every path that reads them refuses.
  const auto flipped = repro("best_weight_bit_flip.nnst");
  MemorySource source(flipped.data(), flipped.size(), false, "<flipped>");
  auto network = load(source, weights_only());  // documented: skips the best weights
  every_path(flipped, network.get(), [&](const std::string &path, const Outcome &o) {
    INFO(path << ": " << o.message);
    if (path == "load weights_only" || path == "open without CRC") {
      CHECK(o.status == NNSTATE_OK);
    } else {
      CHECK(o.status == NNSTATE_ERR_CORRUPT);
      CHECK(o.message.find("\"early_stopping.best.0.weight\"") != std::string::npos);
    }
  });
}

TEST_CASE("hostile: layers whose tensors the file cannot hold are refused before any is built") {
  // Each lies about its configuration but stores small tensors with valid CRCs.
  const std::vector<std::pair<std::string, Shape>> small_conv = {{"weight", Shape{1, 1, 3, 3}},
                                                                 {"bias", Shape{1}}};
  auto tall = ckpt_craft::lying_model(ckpt_craft::conv(1, {int64_t{1} << 27, 3}, 1), small_conv);
  refused_everywhere(ckpt_craft::save_bytes(*tall), "kernel_size (134217728, 3)");
  auto wide = ckpt_craft::lying_model(ckpt_craft::conv(int64_t{1} << 30, {1, 1}, int64_t{1} << 30),
                                      small_conv);
  refused_everywhere(ckpt_craft::save_bytes(*wide), "in_channels 1073741824");

  LayerConfig linear(LayerKind::linear);
  auto &linear_o = linear.as<LinearConfig>();
  linear_o.in_features = linear_o.out_features = INT32_MAX;
  auto huge = ckpt_craft::lying_model(linear, {{"weight", Shape{2, 2}}, {"bias", Shape{2}}});
  refused_everywhere(ckpt_craft::save_bytes(*huge), "in_features 2147483647");

  // No tensors at all, but per-channel workspaces: many such layers must not add up.
  LayerConfig bn(LayerKind::batch_norm1d);
  auto &bn_o = bn.as<BatchNormConfig>();
  bn_o.num_features = 1 << 20;
  bn_o.affine = bn_o.track_running_stats = false;
  auto many = ckpt_craft::lying_model(bn, {}, 100);
  refused_everywhere(ckpt_craft::save_bytes(*many), "bytes of workspace");
}

TEST_CASE("hostile: a non-zero block that no tensor references is refused by every path") {
  auto model = ckpt_test::small_model(2);
  auto bytes = ckpt_test::to_bytes(*model);
  Header h = decode_header(bytes.data(), bytes.size(), "<valid>");
  // 64 bytes appended to the data section: the manifest moves, the header says so.
  bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(h.manifest_offset), 64, 0xab);
  h.data_length += 64;
  h.manifest_offset += 64;
  encode_header(h, bytes.data());
  auto into = ckpt_test::small_model(0);
  refused_everywhere(bytes, "is 171, not zero", into.get());
}

TEST_CASE("hostile: every load path checks early stopping's best weights and their padding") {
  TrainedTrainer t(12);
  const auto valid = t.save();
  MemorySource source(valid.data(), valid.size(), false, "<valid>");
  const Contents c = read_contents(source);
  const TensorEntry *best = c.find("early_stopping.best.0.weight");
  REQUIRE(best != nullptr);
  REQUIRE(best->byte_length % 64 != 0);  // [8, 3]: 96 bytes, then padding

  auto resume = [](const std::vector<unsigned char> &bytes) {
    return outcome([&] {
      TrainedTrainer fresh(0);
      MemorySource s(bytes.data(), bytes.size(), false, "<resume>");
      resume_trainer(*fresh.trainer, s);
    });
  };
  CHECK(resume(valid).status == NNSTATE_OK);

  auto data = valid;
  data[kHeaderSize + best->offset + 17] ^= 0x04;
  TrainedTrainer target(0);
  every_path(data, &target.model, [&](const std::string &path, const Outcome &o) {
    INFO(path << ": " << o.message);
    const bool skips = path == "load weights_only" || path == "open without CRC";
    CHECK(o.status == (skips ? NNSTATE_OK : NNSTATE_ERR_CORRUPT));
  });
  CHECK(resume(data).status == NNSTATE_ERR_CORRUPT);

  auto padding = valid;
  padding[kHeaderSize + best->offset + best->byte_length + 3] = 1;
  refused_everywhere(padding, "padding byte", &target.model);
  CHECK(resume(padding).status == NNSTATE_ERR_CORRUPT);
}

TEST_CASE("hostile: every training-loop integer is checked against its range and the run") {
  struct Case {
    const char *field;
    std::function<void(TrainedTrainer &)> corrupt;
  };
  const int64_t huge = int64_t{1} << 62;
  const std::vector<Case> cases = {
      {"trainer.batch_in_epoch",
       [](TrainedTrainer &t) { t.trainer->state().batch_in_epoch = 1000000000000000; }},
      // 12 batches after one epoch: the epoch had 8 (or fewer), so the position is at most 4.
      {"trainer.batch_in_epoch", [](TrainedTrainer &t) { t.trainer->state().batch_in_epoch = 7; }},
      {"trainer.epoch_samples", [](TrainedTrainer &t) { t.trainer->state().epoch_samples = 101; }},
      {"trainer.epoch_samples",
       [&](TrainedTrainer &t) { t.trainer->state().epoch_samples = huge; }},
      {"trainer.epoch_correct",
       [&](TrainedTrainer &t) { t.trainer->state().epoch_correct = huge; }},
      {"trainer.epoch_judged", [](TrainedTrainer &t) { t.trainer->state().epoch_judged = 101; }},
      {"trainer.global_step", [&](TrainedTrainer &t) { t.trainer->state().global_step = huge; }},
      {"trainer.batch_size",
       [](TrainedTrainer &t) { const_cast<TrainerConfig &>(t.trainer->config()).batch_size = 0; }},
      {"trainer.history[0].epoch",
       [](TrainedTrainer &t) { t.trainer->state().history[0].epoch = 3; }},
      {"early_stopping.wait",
       [](TrainedTrainer &t) { t.trainer->early_stopping()->state().wait = -5; }},
      {"early_stopping.wait",
       [](TrainedTrainer &t) { t.trainer->early_stopping()->state().wait = 2; }},
      {"early_stopping.best_epoch",
       [&](TrainedTrainer &t) { t.trainer->early_stopping()->state().best_epoch = huge; }},
      {"early_stopping.stopped_epoch",
       [](TrainedTrainer &t) { t.trainer->early_stopping()->state().stopped_epoch = 5; }},
      {"scheduler.last_epoch",
       [&](TrainedTrainer &t) {
         SchedulerState s = t.trainer->scheduler()->state();
         s.last_epoch = huge;
         t.trainer->scheduler()->restore(s);
       }},
      {"scheduler.num_bad_epochs",
       [](TrainedTrainer &t) {
         SchedulerState s = t.trainer->scheduler()->state();
         s.num_bad_epochs = 9;
         t.trainer->scheduler()->restore(s);
       }},
      {"optimizer.params[0].step",
       [&](TrainedTrainer &t) {
         struct Steps : OptimizerStateVisitor {
           int64_t value;
           void step(const std::string &, int64_t &s) override { s = value; }
           void tensor(const std::string &, const char *, Tensor &) override {}
         } steps;
         steps.value = huge;
         t.model.optimizer()->visit_state(steps);
       }},
  };
  TrainedTrainer fresh(0);
  for (const Case &k : cases) {
    TrainedTrainer t(12);
    k.corrupt(t);
    const auto bytes = t.save();
    MemorySource source(bytes.data(), bytes.size(), false, "<trainer>");
    const Outcome verified = outcome([&] { verify_data(source, read_contents(source)); });
    const std::string field = k.field;
    INFO(field);
    CHECK(verified.status == NNSTATE_ERR_CORRUPT);
    CHECK(verified.message.find(std::string("manifest ") + k.field) != std::string::npos);
    const Outcome resumed = outcome([&] { resume_trainer(*fresh.trainer, source); });
    CHECK(resumed.status == NNSTATE_ERR_CORRUPT);
  }

  // Monitors must be metrics the trainer produces. The trainer refuses an unknown one when it
  // is created, so the file's only "accuracy" (early stopping's monitor) is rewritten in place.
  TrainedTrainer bogus(0);
  TrainerConfig config = TrainedTrainer::config();
  config.early_stopping_config.monitor = "accuracy";
  Trainer trainer(bogus.model, config);
  SaveOptions o;
  o.trainer = &trainer;
  auto bytes = ckpt_craft::save_bytes(bogus.model, o);
  const std::string known = "accuracy", unknown = "bogusxyz";
  auto at = std::search(bytes.begin(), bytes.end(), known.begin(), known.end());
  REQUIRE(at != bytes.end());
  REQUIRE(std::search(at + 1, bytes.end(), known.begin(), known.end()) == bytes.end());
  std::copy(unknown.begin(), unknown.end(), at);
  ckpt_craft::fix_crcs(bytes);
  MemorySource source(bytes.data(), bytes.size(), false, "<bogus>");
  const Outcome verified = outcome([&] { read_contents(source); });
  CHECK(verified.status == NNSTATE_ERR_CORRUPT);
  CHECK(verified.message.find("early_stopping.monitor: \"bogusxyz\"") != std::string::npos);
}

TEST_CASE("hostile: fit refuses a restored position that lies beyond an epoch of its dataset") {
  TrainedTrainer t(12);  // epoch 1, 4 batches of 25 done
  const auto bytes = t.save();
  MemorySource source(bytes.data(), bytes.size(), false, "<trainer>");
  TrainedTrainer resumed(0);
  resume_trainer(*resumed.trainer, source);
  const Dataset short_data = resumed.data(75);  // 3 batches an epoch
  const Outcome o = outcome([&] { resumed.trainer->fit(short_data, nullptr, nullptr); });
  CHECK(o.status == NNSTATE_ERR_STATE);
  CHECK(o.message.find("batch 4 of the epoch, but an epoch of 75 samples") != std::string::npos);
  const Dataset full = resumed.data();
  CHECK(outcome([&] { resumed.trainer->fit(full, nullptr, nullptr); }).status == NNSTATE_OK);
  CHECK(resumed.trainer->state().global_step == 32);
}

TEST_CASE("hostile: opening a huge sparse file with an illegal manifest faults nothing in") {
  ckpt_test::TempDir dir;
  const std::string path = dir.file("sparse.nnst");
  const uint64_t size = uint64_t{2} << 30;
  Header h;
  h.data_length = size - 4096 - kHeaderSize;
  h.manifest_offset = kHeaderSize + h.data_length;
  h.manifest_length = 8192;  // past the end of the file
  unsigned char header[kHeaderSize];
  encode_header(h, header);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd >= 0);
  REQUIRE(::ftruncate(fd, static_cast<off_t>(size)) == 0);
  REQUIRE(::pwrite(fd, header, sizeof header, 0) == static_cast<ssize_t>(sizeof header));
  ::close(fd);

  auto resident_kib = [] {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1L;
  };
  const long before = resident_kib();
  REQUIRE(before > 0);
  for (bool crc : {true, false}) {
    const Outcome o = outcome([&] {
      MappedSource mapped(path, crc);
      // Mapped, not yet refused: a mapping populated at once would count 2 GiB here.
      CHECK(resident_kib() - before < 64 * 1024);
      read_contents(mapped);
    });
    CHECK(o.status == NNSTATE_ERR_CORRUPT);
    CHECK(o.message.find("manifest_length 8192") != std::string::npos);
  }
  CHECK(resident_kib() - before < 64 * 1024);
}
