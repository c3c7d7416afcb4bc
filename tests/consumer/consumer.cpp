// Builds against an installed libnnstate with the C++ wrapper: proves that nnstate.hpp and its
// parts (nnstate/cxx/) are installed and self-contained. Trains one epoch, saves, reopens.
#include <nnstate/nnstate.hpp>

#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char **argv) {
  const std::string path = std::string(argc > 1 ? argv[1] : ".") + "/consumer_cxx.nnst";
  try {
    nnstate::Network net(1);
    net.linear(2, 1).loss(NNSTATE_LOSS_MSE).optimizer(nnstate::sgd(0.1));
    const std::vector<float> x = {1, 2, 3, 4}, y = {3, 7};
    const nnstate::Dataset data(x, y, 2);
    nnstate::Trainer trainer(net, nnstate::trainer_options(/*epochs=*/1, /*batch_size=*/2));
    trainer.fit(data);
    trainer.save(path, {{"consumer", "c++"}});
    const nnstate::Checkpoint checkpoint(path);
    if (checkpoint.trainer_state().epoch != 1 || checkpoint.metadata("consumer") != "c++") {
      std::fprintf(stderr, "consumer_cxx: %s does not hold the run\n", path.c_str());
      return 1;
    }
  } catch (const nnstate::Error &e) {
    std::fprintf(stderr, "consumer_cxx failed: %s\n", e.what());
    return 1;
  }
  std::printf("consumer_cxx: trained, saved and reopened %s with the C++ wrapper\n", path.c_str());
  return 0;
}
