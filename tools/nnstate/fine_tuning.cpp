#include "fine_tuning.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "commands.h"

namespace nnstate_cli {

OptionGroup fine_tuning_option_group() {
  return {"Fine-tuning (PyTorch requires_grad and param_groups semantics)",
          {
              {"freeze", "PATTERN",
               "freeze the parameters PATTERN names: a tensor (fc.weight) or a module\n"
               "(features: every parameter inside it); no update, no optimizer state;\n"
               "repeatable"},
              {"freeze-batchnorm-eval", nullptr,
               "run BatchNorm layers whose parameters are all frozen in eval mode\n"
               "(running statistics used, not updated), as module.eval() does"},
              {"param-group", "PATTERNS:KEY=F,...",
               "a parameter group: comma-separated name patterns, then its own options\n"
               "among lr, weight_decay, beta1, beta2, eps and min_lr (plateau); the\n"
               "parameters no group names form the default group of --lr etc.;\n"
               "repeatable, e.g. --param-group features:lr=1e-4 --param-group fc:lr=1e-3"},
          }};
}

namespace {

std::vector<std::string> split(const std::string &text, char separator) {
  std::vector<std::string> parts;
  size_t begin = 0;
  for (size_t end; (end = text.find(separator, begin)) != std::string::npos; begin = end + 1) {
    parts.push_back(text.substr(begin, end - begin));
  }
  parts.push_back(text.substr(begin));
  return parts;
}

ParamGroupFlag parse_group(const Args &args, const std::string &text, bool plateau) {
  const std::string what = "--param-group " + text + ": ";
  const size_t colon = text.find(':');
  if (colon == std::string::npos) {
    args.fail(what + "expected PATTERNS:KEY=VALUE,... (e.g. features:lr=1e-4)");
  }
  ParamGroupFlag g;
  g.text = text;
  g.patterns = split(text.substr(0, colon), ',');
  for (const std::string &p : g.patterns) {
    if (p.empty()) args.fail(what + "an empty name pattern");
  }
  nnstate::check(nnstate_param_group_options_init(&g.options));
  for (const std::string &setting : split(text.substr(colon + 1), ',')) {
    const size_t equals = setting.find('=');
    const std::string key = setting.substr(0, equals);
    const std::string value = equals == std::string::npos ? "" : setting.substr(equals + 1);
    double *field = key == "lr"             ? &g.options.lr
                    : key == "weight_decay" ? &g.options.weight_decay
                    : key == "beta1"        ? &g.options.beta1
                    : key == "beta2"        ? &g.options.beta2
                    : key == "eps"          ? &g.options.eps
                    : key == "min_lr"       ? &g.min_lr
                                            : nullptr;
    if (!field) {
      args.fail(what + "unknown option '" + key +
                "' (known: lr, weight_decay, beta1, beta2, eps, min_lr)");
    }
    if (key == "min_lr" && !plateau) args.fail(what + "min_lr applies only to --scheduler plateau");
    char *end = nullptr;
    errno = 0;
    const double v = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(v) || v < 0) {
      args.fail(what + key + ": '" + value + "' is not a number >= 0");
    }
    *field = v;
  }
  return g;
}

}  // namespace

FineTuningOptions parse_fine_tuning(const Args &args, bool plateau) {
  FineTuningOptions f;
  f.freeze = args.every("freeze");
  for (const std::string &p : f.freeze) {
    if (p.empty()) args.fail("--freeze: empty name pattern");
  }
  f.batchnorm_eval = args.flag("freeze-batchnorm-eval");
  if (f.batchnorm_eval && f.freeze.empty()) {
    args.fail("--freeze-batchnorm-eval needs --freeze (it applies to frozen BatchNorm layers)");
  }
  for (const std::string &text : args.every("param-group")) {
    f.groups.push_back(parse_group(args, text, plateau));
  }
  return f;
}

void apply_fine_tuning(FineTuningOptions &f, nnstate::Network &network,
                       const nnstate_optimizer_options &options) {
  for (const std::string &pattern : f.freeze) {
    in_context(
        "--freeze " + pattern,
        [&] {
          nnstate::check(nnstate_network_set_requires_grad(network.get(), pattern.c_str(), 0));
        },
        Blame::usage);
  }
  in_context("--freeze-batchnorm-eval", [&] {
    nnstate::check(nnstate_network_set_frozen_batchnorm_eval(network.get(), f.batchnorm_eval));
  });
  // The C API copies the patterns; these pointers only live through the call.
  if (f.groups.empty()) {
    in_context(
        "invalid optimizer options", [&] { network.optimizer(options); }, Blame::usage);
    return;
  }
  std::vector<std::vector<const char *>> patterns;
  std::vector<nnstate_param_group_options> groups;
  for (ParamGroupFlag &g : f.groups) {
    std::vector<const char *> &p = patterns.emplace_back();
    for (const std::string &s : g.patterns) p.push_back(s.c_str());
    g.options.patterns = p.data();
    g.options.pattern_count = p.size();
    groups.push_back(g.options);
  }
  in_context(
      "invalid optimizer options",
      [&] {
        nnstate::check(nnstate_network_set_optimizer_groups(network.get(), &options, groups.data(),
                                                            groups.size()));
      },
      Blame::usage);
}

void apply_group_min_lr(const FineTuningOptions &f, nnstate::Trainer &trainer, double min_lr) {
  std::vector<double> values;
  bool any = false;
  for (const ParamGroupFlag &g : f.groups) {
    values.push_back(g.min_lr >= 0 ? g.min_lr : min_lr);
    any = any || g.min_lr >= 0;
  }
  if (!any) return;
  in_context(
      "--param-group min_lr",
      [&] {
        nnstate::check(
            nnstate_trainer_set_group_min_lr(trainer.get(), values.data(), values.size()));
      },
      Blame::usage);
}

}  // namespace nnstate_cli
