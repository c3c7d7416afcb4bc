// Several observers of one fit through ObserverList: each hook reaches every observer in order,
// and a stop asked by any of them ends the run at that boundary, resumably.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "test_checkpoint_util.h"
#include "train/observer_list.h"
#include "train/trainer.h"

using namespace nnstate;

namespace {

// Records "<name>:<hook>" into a shared log; stops after a given global step when asked to.
struct Recorder : TrainerObserver {
  std::string name;
  std::vector<std::string> &log;
  int64_t stop_after_step = -1;
  bool stop_at_epoch = false;
  Recorder(std::string n, std::vector<std::string> &l) : name(std::move(n)), log(l) {}

  bool on_batch_end(const BatchInfo &info) override {
    log.push_back(name + ":batch" + std::to_string(info.global_step));
    return info.global_step != stop_after_step;
  }
  bool on_epoch_end(const HistoryRow &row) override {
    log.push_back(name + ":epoch" + std::to_string(row.epoch));
    return !stop_at_epoch;
  }
  void after_batch(Trainer &) override { log.push_back(name + ":after_batch"); }
  void after_epoch(Trainer &) override { log.push_back(name + ":after_epoch"); }
  void on_stop(Trainer &) override { log.push_back(name + ":stop"); }
};

// 12 samples for small_model's 4 inputs and 3 outputs: 2 batches of 6 per epoch.
struct Data {
  std::vector<float> x = ckpt_test::batch_inputs(0, 12, 4), y = ckpt_test::batch_targets(0, 12, 3);
  Dataset dataset() const {
    Dataset d;
    d.inputs = x.data();
    d.targets = y.data();
    d.samples = 12;
    d.input_size = 4;
    d.target_size = 3;
    return d;
  }
};

TrainerConfig two_epochs() {
  TrainerConfig c;
  c.epochs = 2;
  c.batch_size = 6;
  c.shuffle = false;
  return c;
}

}  // namespace

TEST_CASE("ObserverList calls every observer in order at each hook, null entries skipped") {
  const Data data;
  auto model = ckpt_test::small_model(0);
  Trainer trainer(*model, two_epochs());
  std::vector<std::string> log;
  Recorder a("a", log), b("b", log);
  ObserverList observers{&a, nullptr, &b};
  CHECK(trainer.fit(data.dataset(), nullptr, &observers) == StopReason::completed);
  const std::vector<std::string> expected = {
      "a:batch1", "b:batch1", "a:after_batch", "b:after_batch",  // epoch 0
      "a:batch2", "b:batch2", "a:after_batch", "b:after_batch",  //
      "a:epoch0", "b:epoch0", "a:after_epoch", "b:after_epoch",  //
      "a:batch3", "b:batch3", "a:after_batch", "b:after_batch",  // epoch 1
      "a:batch4", "b:batch4", "a:after_batch", "b:after_batch",  //
      "a:epoch1", "b:epoch1", "a:after_epoch", "b:after_epoch",  //
      "a:stop",   "b:stop"};
  CHECK(log == expected);
}

TEST_CASE("ObserverList: a stop from any observer ends the run after all saw the boundary") {
  const Data data;
  for (const char *stopper : {"a", "b"}) {
    INFO("stopped by " << stopper);
    auto model = ckpt_test::small_model(0);
    Trainer trainer(*model, two_epochs());
    std::vector<std::string> log;
    Recorder a("a", log), b("b", log);
    (std::string(stopper) == "a" ? a : b).stop_after_step = 3;
    ObserverList observers{&a, &b};
    CHECK(trainer.fit(data.dataset(), nullptr, &observers) == StopReason::requested);
    CHECK(trainer.state().global_step == 3);
    // Both observers saw batch 3 and its after_batch, then the stop; nothing of batch 4.
    const std::vector<std::string> tail(log.end() - 6, log.end());
    CHECK(tail == std::vector<std::string>{"a:batch3", "b:batch3", "a:after_batch", "b:after_batch",
                                           "a:stop", "b:stop"});
    // The run continues where it stopped.
    a.stop_after_step = b.stop_after_step = -1;
    CHECK(trainer.fit(data.dataset(), nullptr, &observers) == StopReason::completed);
    CHECK(trainer.state().global_step == 4);
  }

  auto model = ckpt_test::small_model(0);
  Trainer trainer(*model, two_epochs());
  std::vector<std::string> log;
  Recorder a("a", log), b("b", log);
  b.stop_at_epoch = true;
  ObserverList observers{&a, &b};
  CHECK(trainer.fit(data.dataset(), nullptr, &observers) == StopReason::requested);
  CHECK(trainer.state().epoch == 1);
  const std::vector<std::string> tail(log.end() - 6, log.end());
  CHECK(tail == std::vector<std::string>{"a:epoch0", "b:epoch0", "a:after_epoch", "b:after_epoch",
                                         "a:stop", "b:stop"});
}
