// Shared helpers for the checkpoint tests: a small trained model and file utilities.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "checkpoint/load.h"
#include "checkpoint/reader.h"
#include "checkpoint/save.h"
#include "train/model.h"
#include "util/error.h"

namespace ckpt_test {

// The status `f` throws (NNSTATE_OK when it returns), and its message.
inline nnstate_status status_of(const std::function<void()> &f, std::string *message = nullptr) {
  try {
    f();
  } catch (const nnstate::Error &e) {
    if (message) *message = e.what();
    return e.status();
  }
  return NNSTATE_OK;
}

inline std::vector<float> batch_inputs(int step, int batch, int features) {
  std::vector<float> x(static_cast<size_t>(batch * features));
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<float>(((static_cast<int>(i) * 7 + step * 13) % 17) - 8) / 8.0f;
  }
  return x;
}

inline std::vector<float> batch_targets(int step, int batch, int outputs) {
  std::vector<float> y(static_cast<size_t>(batch * outputs));
  for (size_t i = 0; i < y.size(); ++i) {
    y[i] = static_cast<float>(((static_cast<int>(i) * 5 + step * 3) % 11) - 5) / 5.0f;
  }
  return y;
}

inline void train(nnstate::Model &model, int first_step, int steps) {
  for (int s = first_step; s < first_step + steps; ++s) {
    auto x = batch_inputs(s, 5, 4);
    auto y = batch_targets(s, 5, 3);
    model.train_step(x.data(), static_cast<int64_t>(x.size()), y.data(),
                     static_cast<int64_t>(y.size()), 5);
  }
}

// MLP 4-8-3 (Linear, ReLU, Linear), MSE, the given optimizer, trained `steps` steps.
inline std::unique_ptr<nnstate::Model> small_model(
    int steps, nnstate::OptimizerKind kind = nnstate::OptimizerKind::adam, bool amsgrad = false) {
  auto model = std::make_unique<nnstate::Model>(42);
  nnstate::LayerConfig l1(nnstate::LayerKind::linear);
  auto &l1_o = l1.as<nnstate::LinearConfig>();
  l1_o.in_features = 4;
  l1_o.out_features = 8;
  model->add_layer(l1);
  nnstate::LayerConfig relu(nnstate::LayerKind::relu);
  model->add_layer(relu);
  nnstate::LayerConfig l2 = l1;
  l2.as<nnstate::LinearConfig>().in_features = 8;
  l2.as<nnstate::LinearConfig>().out_features = 3;
  model->add_layer(l2);
  model->set_loss(nnstate::LossKind::mse);
  nnstate::OptimizerConfig oc = nnstate::default_optimizer_config(kind);
  oc.amsgrad = amsgrad;
  if (kind == nnstate::OptimizerKind::sgd) oc.momentum = 0.9;
  oc.lr = 0.01;
  model->set_optimizer(oc);
  train(*model, 0, steps);
  return model;
}

inline std::vector<unsigned char> to_bytes(nnstate::Model &model,
                                           const nnstate::checkpoint::SaveOptions &o = {}) {
  size_t size = nnstate::checkpoint::save_to_buffer(model, nullptr, 0, o);
  std::vector<unsigned char> bytes(size);
  size_t again = nnstate::checkpoint::save_to_buffer(model, bytes.data(), bytes.size(), o);
  if (again != size) std::abort();
  return bytes;
}

// Every tensor of the model and its optimizer, by qualified name, plus the steps.
struct State {
  std::vector<std::pair<std::string, std::vector<float>>> tensors;
  std::vector<std::pair<std::string, int64_t>> steps;
  bool operator==(const State &o) const { return tensors == o.tensors && steps == o.steps; }
};

inline State capture(nnstate::Model &model) {
  State s;
  struct Net : nnstate::StateVisitor {
    State *s;
    void tensor(const std::string &name, nnstate::TensorRole, nnstate::Tensor &v,
                nnstate::Tensor *) override {
      s->tensors.emplace_back(name, std::vector<float>(v.data(), v.data() + v.numel()));
    }
  } net;
  net.s = &s;
  model.network().visit_state(net);
  if (model.optimizer()) {
    struct Opt : nnstate::OptimizerStateVisitor {
      State *s;
      void step(const std::string &p, int64_t &step) override { s->steps.emplace_back(p, step); }
      void tensor(const std::string &p, const char *n, nnstate::Tensor &v) override {
        s->tensors.emplace_back(p + "." + n, std::vector<float>(v.data(), v.data() + v.numel()));
      }
    } opt;
    opt.s = &s;
    model.optimizer()->visit_state(opt);
  }
  return s;
}

// A fresh directory under TMPDIR, removed (with its files) by the destructor.
struct TempDir {
  std::string path;
  TempDir() {
    const char *base = std::getenv("TMPDIR");
    std::string pattern = std::string(base ? base : "/tmp") + "/nnstate-ckpt-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data())) std::abort();
    path = buf.data();
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::string file(const std::string &name) const { return path + "/" + name; }
};

inline std::vector<unsigned char> read_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<unsigned char>(std::istreambuf_iterator<char>(in), {});
}

inline void write_file(const std::string &path, const std::vector<unsigned char> &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char *>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

}  // namespace ckpt_test
