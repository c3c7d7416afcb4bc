// The golden format 1.1 trainer checkpoint of a graph network (tests/data/v1/
// resnet_block_trainer.nnst, written once by tests/helpers/checkpoint_make_golden_graph.cpp):
// its graph, names and pinned values read back forever, it resumes, and a graph trainer
// stopped mid-epoch resumes bitwise identically to an uninterrupted run.
#include <doctest/doctest.h>

#include <cstring>
#include <memory>

#include "checkpoint/data.h"
#include "checkpoint/io.h"
#include "checkpoint/load.h"
#include "checkpoint/reader.h"
#include "checkpoint/save.h"
#include "checkpoint_craft.h"
#include "graph_golden_net.h"

using namespace nnstate;
using namespace nnstate::checkpoint;

namespace {

const std::string kFile = std::string(NNSTATE_GOLDEN_DIR) + "/v1/resnet_block_trainer.nnst";

void check_first_bits(const Source &source, const Contents &c, const char *name,
                      std::initializer_list<uint32_t> expected) {
  const TensorEntry *e = c.find(name);
  REQUIRE_MESSAGE(e != nullptr, name);
  Tensor t(e->shape);
  read_tensors(source, c, {{e, t.data()}}, DataCheck::crc_and_padding);
  int64_t i = 0;
  for (uint32_t want : expected) {
    uint32_t got;
    std::memcpy(&got, &t[i], sizeof got);
    INFO(name << "[" << i << "]");
    CHECK(got == want);
    ++i;
  }
}

// Every tensor the model and its optimizer hold, in visiting order.
std::vector<Tensor> all_state(Model &model) {
  struct Walk : StateVisitor {
    std::vector<Tensor> values;
    void tensor(const std::string &, TensorRole, Tensor &v, Tensor *) override {
      values.push_back(v);
    }
  } walk;
  model.network().visit_state(walk);
  struct OptimizerWalk : OptimizerStateVisitor {
    std::vector<Tensor> *values;
    void step(const std::string &, int64_t &) override {}
    void tensor(const std::string &, const char *, Tensor &v) override { values->push_back(v); }
  } optimizer_walk;
  optimizer_walk.values = &walk.values;
  model.optimizer()->visit_state(optimizer_walk);
  return walk.values;
}

}  // namespace

TEST_CASE("golden v1.1: a graph trainer checkpoint reads with its graph and exact state") {
  FileSource source(kFile);
  const Contents c = read_contents(source);
  verify_data(source, c);
  CHECK(c.format_major == 1);
  CHECK(c.format_minor == 1);
  REQUIRE(c.layers.size() == 13);
  CHECK(c.layers[7].kind() == LayerKind::add);
  CHECK(c.layers[3].as<Conv2dConfig>().padding_same);
  CHECK(c.layers[9].kind() == LayerKind::dropout2d);
  CHECK(c.layers[10].kind() == LayerKind::adaptive_avg_pool2d);
  REQUIRE(c.links.size() == 13);
  CHECK(c.links[5].name == "layer1.0.downsample.0");
  CHECK(c.links[5].inputs == std::vector<int32_t>{Graph::kNetworkInput});
  CHECK(c.links[7].inputs == std::vector<int32_t>{4, 6});
  CHECK(c.links[8].name.empty());
  REQUIRE(c.has_trainer);
  CHECK(c.trainer.epoch == 2);
  CHECK(c.trainer.global_step == 8);
  REQUIRE(c.trainer.history.size() == 2);
  CHECK(c.trainer.history[0].loss == 0x1.22f4ap+0);
  CHECK(c.trainer.history[1].val_loss == 0x1.1a0cd98p+0);
  check_first_bits(source, c, "layer1.0.conv1.weight", {0x3aad2eb0u, 0x3e151d5bu, 0x3dc52509u});
  check_first_bits(source, c, "layer1.0.downsample.1.running_var",
                   {0x3ef1cba9u, 0x3ede928fu, 0x3eeb7cf3u});
  check_first_bits(source, c, "fc.bias", {0xbebc3569u, 0xbece1759u, 0xbeb8ef4du});
}

TEST_CASE("golden v1.1: the graph network is rebuilt from the file and its training resumes") {
  FileSource source(kFile);
  std::unique_ptr<Model> model = load(source, LoadOptions{});
  CHECK(model->network().key(5) == "layer1.0.downsample.0");
  CHECK(model->network().inputs(7) == std::vector<int32_t>{4, 6});
  Trainer trainer(*model, golden_graph::config(3));
  resume_trainer(trainer, source);
  const golden_graph::Data data;
  const Dataset d = data.dataset();
  trainer.fit(d, &d, nullptr);
  CHECK(trainer.state().epoch == 3);
  CHECK(trainer.state().history.size() == 3);
}

TEST_CASE("a graph trainer stopped mid-epoch resumes bitwise identically") {
  const golden_graph::Data data;
  const Dataset d = data.dataset();
  Model straight(31);
  golden_graph::build(straight);
  Trainer straight_trainer(straight, golden_graph::config(3));
  straight_trainer.fit(d, &d, nullptr);

  Model first(31);
  golden_graph::build(first);
  Trainer first_trainer(first, golden_graph::config(3));
  struct StopAt : TrainerObserver {
    bool on_batch_end(const BatchInfo &info) override { return info.global_step < 6; }
  } stop;  // epoch 2 of 3, batch 2 of 4
  first_trainer.fit(d, &d, &stop);
  SaveOptions options;
  options.trainer = &first_trainer;
  const std::vector<unsigned char> bytes = ckpt_craft::save_bytes(first, options);

  MemorySource source(bytes.data(), bytes.size(), false, "<graph>");
  std::unique_ptr<Model> resumed = load(source, LoadOptions{});
  Trainer resumed_trainer(*resumed, golden_graph::config(3));
  resume_trainer(resumed_trainer, source);
  resumed_trainer.fit(d, &d, nullptr);
  const std::vector<Tensor> a = all_state(straight), b = all_state(*resumed);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO("tensor " << i);
    REQUIRE(a[i].shape() == b[i].shape());
    CHECK(std::memcmp(a[i].data(), b[i].data(), a[i].byte_size()) == 0);
  }
  CHECK(straight_trainer.state().history.back().loss ==
        resumed_trainer.state().history.back().loss);
}
