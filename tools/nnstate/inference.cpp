#include "inference.h"

#include "checkpoint_io.h"

namespace nnstate_cli {

LoadedModel load_model(const std::string &checkpoint, const std::string &loss_flag) {
  LoadedModel m;
  const std::map<std::string, std::string> meta = checkpoint_metadata(checkpoint);
  m.network = load_checkpoint(checkpoint, NNSTATE_LOAD_WEIGHTS_ONLY);
  const auto arch = meta.find(kMetaArch);
  m.arch = arch != meta.end() ? "the architecture " + arch->second : "the network in " + checkpoint;
  const auto loss = meta.find(kMetaLoss);
  m.loss = !loss_flag.empty()   ? loss_from_name(loss_flag)
           : loss != meta.end() ? loss_from_name(loss->second)
                                : 0;
  m.inputs = network_input_size(m.network.get());
  m.outputs = network_output_size(m.network.get());
  return m;
}

Floats predict_all(const LoadedModel &model, const Data &data, size_t batch) {
  Floats outputs(data.samples * model.outputs);
  for (size_t start = 0; start < data.samples; start += batch) {
    const size_t n = std::min(batch, data.samples - start);
    check(nnstate_network_predict(model.network.get(), data.inputs.data() + start * data.features,
                                  n * data.features, n, outputs.data() + start * model.outputs,
                                  n * model.outputs),
          "predicting");
  }
  return outputs;
}

}  // namespace nnstate_cli
