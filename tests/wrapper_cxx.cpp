// The header-only C++ wrapper: RAII handles, exceptions with the status and the library's
// message, moved-from handles that refuse calls, callbacks whose exceptions come back out of
// fit, and a run trained, saved, reopened and resumed through it with the same results as the
// C API gives.
#include "nnstate/nnstate.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#define REQUIRE(cond)                                                         \
  do {                                                                        \
    if (!(cond)) {                                                            \
      std::fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
      std::exit(1);                                                           \
    }                                                                         \
  } while (0)

namespace {

// Runs `call` and returns the Error it throws; fails the test when it throws nothing.
template <typename Call>
nnstate::Error error_of(Call &&call) {
  try {
    call();
  } catch (const nnstate::Error &e) {
    // The message is the library's, and what() puts the status in front of it.
    REQUIRE(e.message() == nnstate_last_error());
    REQUIRE(std::string(e.what()) ==
            std::string(nnstate_status_string(e.status())) + ": " + e.message());
    return e;
  }
  std::fprintf(stderr, "no nnstate::Error thrown\n");
  std::exit(1);
}

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

bool same_bits(const std::vector<float> &a, const std::vector<float> &b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// 32 samples of 3 inputs and a class out of 2 (deterministic).
struct Samples {
  std::vector<float> x, y;
};
Samples make_samples(size_t n, uint32_t seed) {
  Samples s;
  for (size_t i = 0; i < n; ++i) {
    float sum = 0;
    for (int j = 0; j < 3; ++j) {
      seed = seed * 1664525u + 1013904223u;
      const float v = static_cast<float>(seed >> 8) / 16777216.0f - 0.5f;
      s.x.push_back(v);
      sum += v;
    }
    s.y.push_back(sum > 0 ? 1.0f : 0.0f);
  }
  return s;
}

nnstate::Network classifier() {
  nnstate::Network net(7);
  net.linear(3, 6).relu().dropout(0.25).linear(6, 2).loss(NNSTATE_LOSS_CROSS_ENTROPY);
  net.optimizer(nnstate::adam(0.01));
  return net;
}

void check_xor_and_errors() {
  nnstate::Network net(3);
  net.linear(2, 8)
      .tanh()
      .linear(8, 1)
      .loss(NNSTATE_LOSS_BCE_WITH_LOGITS)
      .optimizer(nnstate::adam(0.05));
  const std::vector<float> x = {0, 0, 0, 1, 1, 0, 1, 1}, y = {0, 1, 1, 0};
  float loss = 0;
  for (int i = 0; i < 500; ++i) loss = net.train_step(x, y, 4);
  REQUIRE(loss < 0.05f);
  const std::vector<float> out = net.predict(x, 4);
  for (int i = 0; i < 4; ++i) REQUIRE((out[i] > 0) == (y[i] > 0.5f));
  REQUIRE(net.parameter_count() == 33);
  REQUIRE(net.tensor_names() ==
          (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"}));
  REQUIRE(net.tensor("2.weight").size() == 8);
  REQUIRE(std::fabs(net.lr() - 0.05) < 1e-12);

  // Each refusal carries its status and the library's message naming the values.
  nnstate::Error e = error_of([&] { net.train_step({1, 2, 3}, {1}, 1); });
  REQUIRE(e.status() == NNSTATE_ERR_SHAPE_MISMATCH && contains(e.message(), "3"));
  REQUIRE(error_of([] { nnstate::Network().linear(0, 4); }).status() ==
          NNSTATE_ERR_INVALID_ARGUMENT);
  e = error_of([] { nnstate::Network().linear(2, 4).linear(5, 1); });
  REQUIRE(e.status() == NNSTATE_ERR_SHAPE_MISMATCH && contains(e.message(), "5"));
  REQUIRE(error_of([] { nnstate::Network().linear(2, 1).optimizer(nnstate::adam(-1)); }).status() ==
          NNSTATE_ERR_INVALID_ARGUMENT);
  REQUIRE(error_of([] { nnstate::optimizer_options(99, 0.1); }).status() ==
          NNSTATE_ERR_INVALID_ARGUMENT);
  REQUIRE(error_of([] { nnstate::Network().flatten(); }).status() == NNSTATE_ERR_STATE);
  REQUIRE(error_of([] { nnstate::Network().lr(); }).status() == NNSTATE_ERR_STATE);
  REQUIRE(error_of([&] { net.tensor("no.such"); }).status() == NNSTATE_ERR_NOT_FOUND);
  nnstate::Network no_optimizer;
  no_optimizer.linear(2, 1).loss(NNSTATE_LOSS_MSE);
  e = error_of([&] { nnstate::Trainer t(no_optimizer, nnstate::trainer_options()); });
  REQUIRE(e.status() == NNSTATE_ERR_STATE);
  e = error_of([] { nnstate::Checkpoint c("/nonexistent/wrapper.nnst"); });
  REQUIRE(e.status() == NNSTATE_ERR_NOT_FOUND && contains(e.message(), "/nonexistent/wrapper"));
  REQUIRE(error_of([] { nnstate::verify_checkpoint("/nonexistent/wrapper.nnst"); }).status() ==
          NNSTATE_ERR_NOT_FOUND);
  const std::vector<float> few = {1, 2, 3};
  REQUIRE(error_of([&] { nnstate::Dataset d(few, few, 2); }).status() ==
          NNSTATE_ERR_SHAPE_MISMATCH);
}

// A moved-from object holds NULL: every call on it throws INVALID_ARGUMENT, none crashes, and
// the object moved to works (each handle is freed once: ASan checks that).
void check_moves(const std::string &dir) {
  nnstate::Network net = classifier();
  nnstate::Network moved = std::move(net);
  REQUIRE(moved.get() != nullptr && net.get() == nullptr);
  REQUIRE(moved.layer_count() == 4);
  REQUIRE(error_of([&] { net.layer_count(); }).status() == NNSTATE_ERR_INVALID_ARGUMENT);
  REQUIRE(error_of([&] { net.relu(); }).status() == NNSTATE_ERR_INVALID_ARGUMENT);
  REQUIRE(error_of([&] { net.save(dir + "/never.nnst"); }).status() ==
          NNSTATE_ERR_INVALID_ARGUMENT);
  REQUIRE(access((dir + "/never.nnst").c_str(), F_OK) != 0);
  net = std::move(moved);  // assigning back frees nothing twice
  REQUIRE(net.get() != nullptr && moved.get() == nullptr);

  const Samples s = make_samples(8, 1);
  nnstate::Dataset data(s.x, s.y, 8);
  nnstate::Dataset data2 = std::move(data);
  REQUIRE(data.get() == nullptr && data2.get() != nullptr);
  nnstate::Trainer trainer(net, nnstate::trainer_options(1, 4));
  REQUIRE(error_of([&] { trainer.fit(data); }).status() == NNSTATE_ERR_INVALID_ARGUMENT);
  nnstate::Trainer trainer2 = std::move(trainer);
  REQUIRE(trainer.get() == nullptr);
  REQUIRE(error_of([&] { trainer.fit(data2); }).status() == NNSTATE_ERR_INVALID_ARGUMENT);
  REQUIRE(error_of([&] { trainer.set_callbacks(nullptr, nullptr); }).status() ==
          NNSTATE_ERR_INVALID_ARGUMENT);
  REQUIRE(error_of([&] { trainer.position(); }).status() == NNSTATE_ERR_INVALID_ARGUMENT);
  trainer.request_stop();  // noexcept: ignored
  REQUIRE(trainer.warnings().empty());
  REQUIRE(trainer2.fit(data2) == NNSTATE_STOP_COMPLETED);
  trainer2.save(dir + "/moved.nnst");

  nnstate::Checkpoint checkpoint(dir + "/moved.nnst");
  nnstate::Checkpoint checkpoint2 = std::move(checkpoint);
  REQUIRE(checkpoint2.trainer_state().epoch == 1);
  REQUIRE(error_of([&] { checkpoint.tensor_count(); }).status() == NNSTATE_ERR_INVALID_ARGUMENT);
  REQUIRE(error_of([&] { checkpoint.metadata("k"); }).status() == NNSTATE_ERR_INVALID_ARGUMENT);
}

// Every layer function builds the layer PyTorch would: names, counts, shapes.
void check_layers() {
  nnstate::Network net(5);
  net.input_shape({1, 4, 4})
      .conv2d(1, 2, 3)   // 0: [2, 2, 2]
      .batch_norm2d(2)   // 1
      .relu()            // 2
      .max_pool2d(2)     // 3: [2, 1, 1]
      .flatten()         // 4: [2]
      .layer_norm({2})   // 5
      .dropout(0.1)      // 6
      .linear(2, 3)      // 7
      .sigmoid()         // 8
      .leaky_relu(0.2f)  // 9
      .gelu(true)        // 10
      .linear(3, 2)      // 11
      .loss(NNSTATE_LOSS_MSE)
      .optimizer(nnstate::sgd(0.1, 0.9));
  REQUIRE(net.layer_count() == 12);
  REQUIRE(net.input_size() == 16 && net.output_size() == 2);
  // conv 2*1*3*3+2, batch norm 2+2, layer norm 2+2, linear 2*3+3 and 3*2+2
  REQUIRE(net.parameter_count() == 20 + 4 + 4 + 9 + 8);
  const std::vector<std::string> names = net.tensor_names();
  REQUIRE(names.size() == 13);
  REQUIRE(names[0] == "0.weight" && names[4] == "1.running_mean" &&
          names[6] == "1.num_batches_tracked" && names[7] == "5.weight" && names[9] == "7.weight");
  REQUIRE(net.tensor("0.weight").size() == 18);
  REQUIRE(!net.training_mode());
  net.set_training_mode(true);
  REQUIRE(net.training_mode());
  std::vector<float> x(2 * 16), y(2 * 2, 0.5f);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 7) / 7.0f;
  REQUIRE(std::isfinite(net.train_step(x, y, 2)));
  REQUIRE(net.tensor("1.num_batches_tracked") == std::vector<float>{1.0f});

  nnstate_conv2d_options o = nnstate::conv2d_options(1, 2, 3);
  o.groups = 2;  // does not divide in_channels 1
  REQUIRE(error_of([&] {
            nnstate::Network().input_shape({1, 4, 4}).conv2d(o);
          }).status() == NNSTATE_ERR_INVALID_ARGUMENT);
  REQUIRE(error_of([] {
            nnstate::Network().input_shape({1, 2, 2}).max_pool2d(3);
          }).status() == NNSTATE_ERR_SHAPE_MISMATCH);
  REQUIRE(error_of([] { nnstate::Network().linear(2, 3).batch_norm1d(4); }).status() ==
          NNSTATE_ERR_SHAPE_MISMATCH);
  REQUIRE(error_of([] { nnstate::Network().linear(2, 3).dropout(1.0); }).status() ==
          NNSTATE_ERR_INVALID_ARGUMENT);
}

// A residual graph built node by node through add_node, described by to_json, rebuilt by
// from_json (same weights), and the same document read back from a checkpoint of it.
void check_graph_documents(const std::string &dir) {
  nnstate::Network net(8);
  net.input_shape({2, 4, 4});
  REQUIRE(net.add_node(R"({"kind": "Conv2d", "name": "conv", "in_channels": 2,
                           "out_channels": 2, "kernel_size": 3, "padding": "same"})") == 0);
  REQUIRE(net.add_node(R"({"kind": "ReLU", "name": "relu"})") == 1);
  REQUIRE(net.add_node(R"({"kind": "Add", "inputs": [-1, "relu"]})") == 2);
  REQUIRE(net.add_node(R"({"kind": "Flatten"})") == 3);
  REQUIRE(net.add_node(R"({"kind": "Linear", "name": "fc", "in_features": 32,
                           "out_features": 2})") == 4);
  REQUIRE(net.node_json(2) == R"({"kind":"Add","inputs":[-1,"relu"]})");
  const nnstate::NodeInfo conv = net.node_info(0), fc = net.node_info(4);
  REQUIRE(conv.kind == NNSTATE_LAYER_CONV2D && conv.inputs == 1 && conv.shape_known);
  REQUIRE(conv.output_shape == (std::vector<int64_t>{2, 4, 4}) && conv.parameters == 2 * 2 * 9 + 2);
  REQUIRE(net.node_info(2).inputs == 2 && fc.output_shape == std::vector<int64_t>{2});
  const nnstate::NodeInfo unknown =
      nnstate::Network::from_json(R"({"nodes": [{"kind": "ReLU"}]})").node_info(0);
  REQUIRE(!unknown.shape_known && unknown.output_shape.empty() &&
          unknown.kind == NNSTATE_LAYER_RELU);
  const nnstate::Error bad = error_of([&] { net.add_node(R"({"kind": "Tanh", "inputs": [9]})"); });
  REQUIRE(bad.status() == NNSTATE_ERR_INVALID_ARGUMENT);
  REQUIRE(bad.message().find("node 5 (Tanh): field \"inputs\"") != std::string::npos);
  REQUIRE(error_of([&] { net.node_json(5); }).status() == NNSTATE_ERR_INVALID_ARGUMENT);

  const std::string document = net.to_json();
  REQUIRE(document.rfind("{\"input_shape\":[2,4,4],\"nodes\":[\n", 0) == 0);
  REQUIRE(document.find(net.node_json(4)) != std::string::npos);
  nnstate::Network copy = nnstate::Network::from_json(document, 8);
  REQUIRE(copy.to_json() == document);
  REQUIRE(copy.tensor_names() == net.tensor_names());
  for (const std::string &name : net.tensor_names()) REQUIRE(copy.tensor(name) == net.tensor(name));
  const nnstate::Error refused = error_of(
      [] { nnstate::Network::from_json(R"({"nodes": [{"kind": "ReLU", "name": "a b"}]})"); });
  REQUIRE(refused.message().find("node \"a b\" (ReLU)") != std::string::npos);

  const std::string path = dir + "/graph.nnst";
  net.save(path, {}, false);
  REQUIRE(nnstate::Checkpoint(path).network_json() == document);
}

std::vector<char> read_bytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Trains 3 of 5 epochs, saves, reopens the file, and resumes to the end: the same weights as
// a run of 5 epochs without the stop, bit for bit.
void check_train_save_reopen(const std::string &dir) {
  const Samples train = make_samples(32, 11), val = make_samples(8, 12);
  const std::string path = dir + "/run.nnst";

  nnstate::Network reference = classifier();
  {
    nnstate::Dataset data(train.x, train.y, 32), validation(val.x, val.y, 8);
    nnstate::Trainer trainer(reference, nnstate::trainer_options(5, 8));
    REQUIRE(trainer.fit(data, &validation) == NNSTATE_STOP_COMPLETED);
  }

  nnstate::Network net = classifier();
  nnstate::Dataset data(train.x, train.y, 32), validation(val.x, val.y, 8);
  nnstate_scheduler_options step = nnstate::scheduler_options(NNSTATE_SCHEDULER_STEP);
  step.step_size = 2;
  nnstate::Trainer trainer(net, nnstate::trainer_options(3, 8), &step);
  int epochs_seen = 0, batches_seen = 0;
  trainer.set_callbacks(
      [&](const nnstate_epoch_info &info) {
        REQUIRE(info.epoch == epochs_seen && std::isfinite(info.val_loss));
        ++epochs_seen;
        return false;
      },
      [&](const nnstate_batch_info &info) {
        ++batches_seen;
        REQUIRE(info.global_step == batches_seen && info.batches_per_epoch == 4);
        return false;
      });
  REQUIRE(trainer.fit(data, &validation) == NNSTATE_STOP_COMPLETED);
  REQUIRE(epochs_seen == 3 && batches_seen == 12);
  const nnstate::Position at = trainer.position();
  REQUIRE(at.epoch == 3 && at.global_step == 12 && at.batch_in_epoch == 0);
  const std::vector<nnstate_epoch_info> history = trainer.history();
  REQUIRE(history.size() == 3 && history[2].epoch == 2);
  trainer.save(path, {{"purpose", "wrapper test"}, {"epochs", "3"}});

  // Reopened: the checkpoint holds what the trainer had.
  const nnstate::Checkpoint checkpoint(path);
  nnstate::verify_checkpoint(path);
  REQUIRE(checkpoint.format().major == NNSTATE_FORMAT_VERSION_MAJOR);
  REQUIRE(checkpoint.writer_version() == nnstate_version_string());
  REQUIRE(checkpoint.created_unix_ns() > 0);
  REQUIRE(checkpoint.layer_count() == 4 && checkpoint.layer_kind(1) == NNSTATE_LAYER_RELU &&
          checkpoint.layer_kind(2) == NNSTATE_LAYER_DROPOUT);
  REQUIRE(checkpoint.loss() == NNSTATE_LOSS_CROSS_ENTROPY);
  const nnstate::TrainerState state = checkpoint.trainer_state();
  REQUIRE(state.present && state.epoch == 3 && state.global_step == 12);
  const std::vector<nnstate_epoch_info> stored = checkpoint.history();
  REQUIRE(stored.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    REQUIRE(std::memcmp(&stored[i].loss, &history[i].loss, sizeof(double)) == 0);
    REQUIRE(std::memcmp(&stored[i].val_loss, &history[i].val_loss, sizeof(double)) == 0);
  }
  REQUIRE(checkpoint.scheduler().kind == NNSTATE_SCHEDULER_STEP &&
          checkpoint.scheduler().last_epoch == 3);
  REQUIRE(!checkpoint.early_stopping().present);
  const nnstate::OptimizerState optimizer = checkpoint.optimizer();
  REQUIRE(optimizer.kind == NNSTATE_OPTIMIZER_ADAM && optimizer.step == 12);
  // StepLR(step_size 2, gamma 0.1) stepped after epochs 1..3: lr 0.01 * 0.1.
  REQUIRE(std::fabs(net.lr() - 0.001) < 1e-15);
  REQUIRE(checkpoint.optimizer_options().kind == NNSTATE_OPTIMIZER_ADAM &&
          checkpoint.optimizer_options().lr == net.lr());
  REQUIRE(checkpoint.metadata() ==
          (nnstate::Metadata{{"purpose", "wrapper test"}, {"epochs", "3"}}));
  REQUIRE(checkpoint.metadata("epochs") == std::string("3"));
  REQUIRE(!checkpoint.metadata("absent").has_value());
  const std::vector<nnstate::TensorInfo> tensors = checkpoint.tensors();
  REQUIRE(tensors.size() == checkpoint.tensor_count() && tensors.size() == 4 + 8);  // + Adam
  REQUIRE(tensors[0].name == "0.weight" && tensors[0].role == NNSTATE_ROLE_PARAMETER &&
          tensors[0].shape == (std::vector<int64_t>{6, 3}));
  REQUIRE(same_bits(checkpoint.read_tensor("3.weight"), net.tensor("3.weight")));
  REQUIRE(checkpoint.tensor_data("0.bias").count == 6);
  REQUIRE(checkpoint.tensor_crc32c(0) != checkpoint.tensor_crc32c(1));
  bool found_position = false;
  for (const nnstate::Field &f : checkpoint.fields()) {
    found_position |= f.name.find("trainer.") == 0 && !f.wall_clock();
  }
  REQUIRE(found_position);

  // The same file from memory; one flipped byte is refused with CORRUPT.
  std::vector<char> bytes = read_bytes(path);
  REQUIRE(nnstate::Checkpoint::from_buffer(bytes.data(), bytes.size()).trainer_state().epoch == 3);
  bytes[bytes.size() - 8] ^= 1;
  REQUIRE(error_of([&] {
            nnstate::Checkpoint::from_buffer(bytes.data(), bytes.size());
          }).status() == NNSTATE_ERR_CORRUPT);
  REQUIRE(error_of([&] {
            nnstate::verify_checkpoint_buffer(bytes.data(), bytes.size());
          }).status() == NNSTATE_ERR_CORRUPT);

  // The network alone, rebuilt: the same predictions.
  nnstate::Network loaded = nnstate::Network::load(path);
  REQUIRE(same_bits(loaded.predict(val.x, 8), net.predict(val.x, 8)));
  nnstate::Network weights = classifier();
  weights.load_into(path, nnstate::load_options(NNSTATE_LOAD_WEIGHTS_ONLY));
  REQUIRE(same_bits(weights.tensor("0.weight"), net.tensor("0.weight")));

  // Resumed in a new trainer and extended to 5 epochs: bitwise the uninterrupted run.
  nnstate::Network resumed_net = classifier();
  nnstate::Trainer resumed(resumed_net, nnstate::trainer_options(3, 8), &step);
  resumed.resume(path);
  REQUIRE(resumed.position().epoch == 3);
  resumed.set_epochs(5);
  // (the reference had no scheduler: compare with one trained alike instead)
  nnstate::Network alike = classifier();
  nnstate::Trainer alike_trainer(alike, nnstate::trainer_options(5, 8), &step);
  REQUIRE(alike_trainer.fit(data, &validation) == NNSTATE_STOP_COMPLETED);
  REQUIRE(resumed.fit(data, &validation) == NNSTATE_STOP_COMPLETED);
  for (const std::string &name : alike.tensor_names()) {
    REQUIRE(same_bits(resumed_net.tensor(name), alike.tensor(name)));
  }
  REQUIRE(!same_bits(reference.tensor("0.weight"), alike.tensor("0.weight")));  // StepLR acted
}

// A callback's exception stops fit and comes back out of it; fitting again continues, and the
// run ends as if nothing had happened. Returning true stops resumably too.
void check_callbacks(const std::string &dir) {
  const Samples train = make_samples(32, 21);
  nnstate::Network reference = classifier(), net = classifier();
  nnstate::Dataset data(train.x, train.y, 32);
  nnstate::Trainer reference_trainer(reference, nnstate::trainer_options(2, 8));
  reference_trainer.fit(data);

  nnstate::Trainer trainer(net, nnstate::trainer_options(2, 8));
  trainer.set_callbacks(nullptr, [](const nnstate_batch_info &info) -> bool {
    if (info.global_step == 3) throw std::runtime_error("stop at step 3");
    return false;
  });
  bool thrown = false;
  try {
    trainer.fit(data);
  } catch (const std::runtime_error &e) {
    thrown = std::string(e.what()) == "stop at step 3";
  }
  REQUIRE(thrown);
  REQUIRE(trainer.position().global_step == 3 && trainer.position().batch_in_epoch == 3);
  trainer.set_callbacks(nullptr, [](const nnstate_batch_info &info) {
    return info.global_step == 6;  // stop again, by returning true
  });
  REQUIRE(trainer.fit(data) == NNSTATE_STOP_REQUESTED);
  REQUIRE(trainer.position().global_step == 6);
  trainer.set_callbacks(nullptr, nullptr);
  REQUIRE(trainer.fit(data) == NNSTATE_STOP_COMPLETED);
  for (const std::string &name : reference.tensor_names()) {
    REQUIRE(same_bits(net.tensor(name), reference.tensor(name)));
  }

  // A checkpoint policy writes into a directory; resume_latest finds the newest file there.
  const std::string policy_dir = dir + "/policy";
  nnstate::Network policy_net = classifier();
  nnstate::Trainer policy_trainer(policy_net, nnstate::trainer_options(2, 8));
  nnstate_checkpoint_policy policy = nnstate::checkpoint_policy(policy_dir.c_str());
  policy.fsync = 0;
  policy.async_save = 1;
  policy_trainer.set_checkpointing(policy);
  policy_trainer.fit(data);
  policy_trainer.flush_saves();
  const nnstate_save_stats stats = policy_trainer.save_stats();
  REQUIRE(stats.completed >= 2 && stats.failed == 0 && stats.in_flight == 0);
  REQUIRE(stats.staging_peak_bytes > 0 && stats.bytes_written > stats.staging_peak_bytes);
  nnstate::Network again_net = classifier();
  nnstate::Trainer again(again_net, nnstate::trainer_options(2, 8));
  REQUIRE(again.resume_latest(policy_dir));
  REQUIRE(again.position().epoch == 2 && again.warnings().empty());
  REQUIRE(!again.resume_latest(dir + "/empty-missing"));
  policy_trainer.clear_checkpointing();
}

// Clipping, accumulation and rollback through the wrapper: options, setters, events (a NaN
// label rolls back), refusals as nnstate::Error naming the field.
void check_guard() {
  Samples s = make_samples(32, 31);
  s.y[20] = std::numeric_limits<float>::quiet_NaN();  // batch 3 of 4
  nnstate::Network net(3);  // a regression: the NaN target makes the loss NaN
  net.linear(3, 4).relu().linear(4, 1).loss(NNSTATE_LOSS_MSE).optimizer(nnstate::adam(0.01));
  nnstate::Dataset data(s.x, s.y, 32);
  nnstate_trainer_options options = nnstate::trainer_options(1, 8);
  options.shuffle = 0;
  nnstate::Trainer trainer(net, options);
  nnstate_step_options step = nnstate::step_options();
  REQUIRE(step.accumulate_steps == 1 && step.clip_grad_norm == 0.0);
  step.clip_grad_norm = 1.0;
  step.accumulate_steps = 2;
  trainer.set_step_options(step);
  nnstate_rollback_options rollback = nnstate::rollback_options();
  REQUIRE(rollback.enabled == 1);
  trainer.set_rollback(rollback);
  std::vector<int64_t> updates;
  trainer.set_callbacks(nullptr, [&](const nnstate_batch_info &b) {
    updates.push_back(b.optimizer_steps);
    return false;
  });
  REQUIRE(trainer.fit(data) == NNSTATE_STOP_COMPLETED);
  REQUIRE((updates == std::vector<int64_t>{0, 1, 1, 2}));
  const std::vector<nnstate_rollback_event> events = trainer.rollbacks();
  REQUIRE(events.size() == 1);
  REQUIRE(events[0].batch == 3 && events[0].reason == NNSTATE_DIVERGENCE_NONFINITE_LOSS);
  step.clip_norm_type = -1;
  const nnstate::Error e = error_of([&] { trainer.set_step_options(step); });
  REQUIRE(e.status() == NNSTATE_ERR_INVALID_ARGUMENT && contains(e.what(), "norm_type"));
}

// safetensors out and in, and a partial load of the first layer only.
void check_safetensors(const std::string &dir) {
  nnstate::Network a = classifier(), b = classifier();
  a.set_tensor("0.weight", std::vector<float>(a.tensor("0.weight").size(), 0.5f));
  const std::string path = dir + "/a.safetensors";
  nnstate::save_safetensors(a, path, {{"note", "x"}});
  const nnstate::LoadReport all = nnstate::load_safetensors(b, path);
  REQUIRE(all.missing.empty() && all.unexpected.empty() && !all.loaded.empty());
  REQUIRE(b.tensor("0.weight") == a.tensor("0.weight"));
  nnstate::Network c = classifier();
  nnstate::PartialLoad how;
  how.skip = {"3.*"};
  const nnstate::LoadReport part = nnstate::load_partial(c, path, how);
  REQUIRE(part.loaded == (std::vector<std::string>{"0.weight", "0.bias"}));
  REQUIRE(part.skipped.size() == 2 && part.missing.size() == 2);
}

// Frozen parameters and param groups: a frozen layer keeps its weights, groups report their
// options, a ReduceLROnPlateau min_lr list must fit the groups.
void check_fine_tuning() {
  Samples s = make_samples(32, 31);
  nnstate::Network net(3);
  net.linear(3, 4).relu().linear(4, 1).loss(NNSTATE_LOSS_MSE);
  net.freeze("0");
  net.optimizer(nnstate::adam(0.01), {{{"0"}, 1e-4}, {{"2."}, 1e-2, 0.5}});
  REQUIRE((net.frozen() == std::vector<std::string>{"0.bias", "0.weight"}));
  const auto groups = net.param_groups();
  REQUIRE(groups.size() == 3);
  REQUIRE(groups[1].first.lr == 1e-4 && groups[1].second == 0);
  REQUIRE(groups[2].first.beta1 == 0.5 && groups[2].first.beta2 == 0.999 && groups[2].second == 2);
  const std::vector<float> before = net.tensor("0.weight");
  nnstate::Dataset data(s.x, s.y, 32);
  nnstate_scheduler_options plateau =
      nnstate::scheduler_options(NNSTATE_SCHEDULER_REDUCE_ON_PLATEAU);
  plateau.monitor = "loss";
  nnstate::Trainer trainer(net, nnstate::trainer_options(2, 8), &plateau);
  const nnstate::Error e = error_of([&] { trainer.set_group_min_lr({1e-5}); });
  REQUIRE(e.status() == NNSTATE_ERR_STATE && contains(e.what(), "1 min_lr values"));
  trainer.set_group_min_lr({1e-5, 1e-4});
  REQUIRE(trainer.fit(data) == NNSTATE_STOP_COMPLETED);
  REQUIRE(net.tensor("0.weight") == before);
  net.unfreeze("0.weight");
  REQUIRE((net.frozen() == std::vector<std::string>{"0.bias"}));
  const nnstate::Error missing = error_of([&] { net.freeze("features"); });
  REQUIRE(missing.status() == NNSTATE_ERR_NOT_FOUND && contains(missing.what(), "\"features\""));
}

// The deterministic mode: 1 and 2 library threads train to the same bits.
void check_deterministic() {
  Samples s = make_samples(40, 17);
  std::vector<float> weights[2];
  for (int32_t threads = 1; threads <= 2; ++threads) {
    nnstate::Network net(5);
    net.linear(3, 8).relu().linear(8, 1).loss(NNSTATE_LOSS_MSE).optimizer(nnstate::adam(0.01));
    REQUIRE(net.deterministic_chunk_size() == 0);
    net.deterministic(4, threads);
    REQUIRE(net.deterministic_chunk_size() == 4);
    nnstate::Dataset data(s.x, s.y, 40);
    nnstate::Trainer trainer(net, nnstate::trainer_options(2, 10));
    REQUIRE(trainer.fit(data) == NNSTATE_STOP_COMPLETED);
    weights[threads - 1] = net.tensor("2.weight");
  }
  REQUIRE(weights[0] == weights[1]);
  const nnstate::Error e = error_of([] { nnstate::Network(1).linear(2, 1).deterministic(-1); });
  REQUIRE(e.status() == NNSTATE_ERR_INVALID_ARGUMENT);
}

}  // namespace

int main() {
  char pattern[] = "/tmp/nnstate_wrapper_cxx_XXXXXX";
  REQUIRE(mkdtemp(pattern) != nullptr);
  const std::string dir = pattern;
  check_xor_and_errors();
  check_moves(dir);
  check_layers();
  check_graph_documents(dir);
  check_train_save_reopen(dir);
  check_callbacks(dir);
  check_guard();
  check_safetensors(dir);
  check_fine_tuning();
  check_deterministic();
  REQUIRE(std::system(("rm -rf '" + dir + "'").c_str()) == 0);
  std::puts("wrapper_cxx: all checks passed");
  return 0;
}
