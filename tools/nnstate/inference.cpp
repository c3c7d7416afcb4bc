#include "inference.h"

#include "checkpoint_io.h"
#include "commands.h"
#include "data_fit.h"

namespace nnstate_cli {

LoadedModel load_model(const std::string &checkpoint, const std::string &loss_flag) {
  const std::map<std::string, std::string> meta = checkpoint_metadata(checkpoint);
  const auto arch = meta.find(kMetaArch);
  const auto loss = meta.find(kMetaLoss);
  LoadedModel m{
      load_network(checkpoint, NNSTATE_LOAD_WEIGHTS_ONLY),
      arch != meta.end() ? "the architecture " + arch->second : "the network in " + checkpoint,
      !loss_flag.empty()   ? loss_from_name(loss_flag)
      : loss != meta.end() ? loss_from_name(loss->second)
                           : 0,
      0, 0};
  m.inputs = in_context("network input size", [&] { return m.network.input_size(); });
  m.outputs = in_context("network output size", [&] { return m.network.output_size(); });
  return m;
}

Floats predict_all(LoadedModel &model, const Data &data, size_t batch) {
  Floats outputs(data.samples * model.outputs);
  in_context("predicting", [&] {
    for (size_t start = 0; start < data.samples; start += batch) {
      const size_t n = std::min(batch, data.samples - start);
      model.network.predict(data.inputs.data() + start * data.features, n * data.features, n,
                            outputs.data() + start * model.outputs, n * model.outputs);
    }
  });
  return outputs;
}

}  // namespace nnstate_cli
