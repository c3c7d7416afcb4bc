// Writes tests/data/v1/resnet_block_trainer.nnst, the golden format 1.1 trainer checkpoint of a
// graph network (tests/unit/graph_golden_net.h) after 2 epochs, and prints the values that
// tests/unit/test_checkpoint_golden_graph.cpp pins. Run once at release; the file never changes:
//   checkpoint_make_golden_graph tests/data/v1/resnet_block_trainer.nnst
#include <cstdio>
#include <cstring>

#include "checkpoint/save.h"
#include "graph_golden_net.h"
#include "util/error.h"

namespace {

void print_first(nnstate::Model &model, const char *wanted) {
  struct Find : nnstate::StateVisitor {
    const char *wanted;
    void tensor(const std::string &name, nnstate::TensorRole, nnstate::Tensor &v,
                nnstate::Tensor *) override {
      if (name != wanted) return;
      std::printf("%s:", wanted);
      for (int64_t i = 0; i < 3 && i < v.numel(); ++i) {
        uint32_t bits;
        std::memcpy(&bits, &v[i], sizeof bits);
        std::printf(" 0x%08xu", bits);
      }
      std::printf("\n");
    }
  } find;
  find.wanted = wanted;
  model.network().visit_state(find);
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  try {
    nnstate::Model model(31);
    golden_graph::build(model);
    nnstate::Trainer trainer(model, golden_graph::config(2));
    const golden_graph::Data data;
    const nnstate::Dataset d = data.dataset();
    trainer.fit(d, &d, nullptr);
    nnstate::checkpoint::SaveOptions options;
    options.trainer = &trainer;
    options.metadata = {{"purpose", "golden v1.1 graph trainer checkpoint"}};
    nnstate::checkpoint::save(model, argv[1], options);
    std::printf("loss[0] %a, val_loss[1] %a\n", trainer.state().history[0].loss,
                trainer.state().history[1].val_loss);
    print_first(model, "layer1.0.conv1.weight");
    print_first(model, "layer1.0.downsample.1.running_var");
    print_first(model, "fc.bias");
  } catch (const nnstate::Error &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
