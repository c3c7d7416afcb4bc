// C API: frozen parameters and parameter groups (format 1.3).
#include <algorithm>
#include <cmath>
#include <limits>

#include "guard.h"
#include "handles.h"
#include "optimizer_options.h"
#include "train/frozen.h"
#include "trainer_handle.h"

using nnstate::capi::guard;
using nnstate::capi::require_arg;

namespace {

nnstate::Optimizer &require_optimizer(const nnstate_network *network) {
  nnstate::Optimizer *optimizer = nnstate::capi::mutable_network(network)->model.optimizer();
  if (!optimizer) nnstate::fail(NNSTATE_ERR_STATE, "no optimizer is set");
  return *optimizer;
}

void check_group(const nnstate::Optimizer &optimizer, size_t group) {
  if (group >= optimizer.group_count()) {
    nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT,
                  "param group " + std::to_string(group) + " does not exist (the optimizer has " +
                      std::to_string(optimizer.group_count()) + ", the default group 0 included)");
  }
}

}  // namespace

nnstate_status nnstate_network_set_requires_grad(nnstate_network *network, const char *pattern,
                                                 int32_t requires_grad) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(pattern, "pattern");
    network->model.set_requires_grad({pattern}, requires_grad != 0);
  });
}

nnstate_status nnstate_network_is_frozen(const nnstate_network *network, const char *name,
                                         int32_t *out) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(name, "name");
    require_arg(out, "out");
    nnstate::Model &model = nnstate::capi::mutable_network(network)->model;
    const std::vector<std::string> params = nnstate::parameter_names(model.network());
    if (std::find(params.begin(), params.end(), name) == params.end()) {
      nnstate::fail(NNSTATE_ERR_NOT_FOUND,
                    std::string("the network has no parameter named \"") + name + "\"");
    }
    *out = model.is_frozen(name) ? 1 : 0;
  });
}

nnstate_status nnstate_network_frozen_count(const nnstate_network *network, size_t *out) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(out, "out");
    *out = network->model.frozen().size();
  });
}

nnstate_status nnstate_network_frozen_name(const nnstate_network *network, size_t index,
                                           const char **out) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(out, "out");
    const std::vector<std::string> &frozen = network->model.frozen();
    if (index >= frozen.size()) {
      nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT, "frozen parameter index " +
                                                      std::to_string(index) + " is out of range (" +
                                                      std::to_string(frozen.size()) + " frozen)");
    }
    *out = frozen[index].c_str();
  });
}

nnstate_status nnstate_network_set_frozen_batchnorm_eval(nnstate_network *network, int32_t eval) {
  return guard([&] {
    require_arg(network, "network");
    network->model.set_frozen_batchnorm_eval(eval != 0);
  });
}

nnstate_status nnstate_network_get_frozen_batchnorm_eval(const nnstate_network *network,
                                                         int32_t *out) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(out, "out");
    *out = network->model.frozen_batchnorm_eval() ? 1 : 0;
  });
}

nnstate_status nnstate_param_group_options_init(nnstate_param_group_options *options) {
  return guard([&] {
    require_arg(options, "options");
    const double nan = std::numeric_limits<double>::quiet_NaN();
    *options = nnstate_param_group_options{};
    options->struct_size = sizeof *options;
    options->lr = options->beta1 = options->beta2 = options->eps = options->weight_decay = nan;
  });
}

nnstate_status nnstate_network_set_optimizer_groups(nnstate_network *network,
                                                    const nnstate_optimizer_options *options,
                                                    const nnstate_param_group_options *groups,
                                                    size_t group_count) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(options, "options");
    if (group_count > 0) require_arg(groups, "groups");
    nnstate::OptimizerConfig c = nnstate::capi::optimizer_config_of(options);
    for (size_t g = 0; g < group_count; ++g) {
      const nnstate_param_group_options &in = groups[g];
      nnstate::capi::check_struct_size(&in, "nnstate_param_group_options");
      const std::string what = "param group " + std::to_string(g);
      if (in.pattern_count > 0 && !in.patterns) {
        nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT, what + ": patterns is NULL");
      }
      nnstate::ParamGroupConfig group;
      for (size_t k = 0; k < in.pattern_count; ++k) {
        if (!in.patterns[k]) {
          nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT,
                        what + ": pattern " + std::to_string(k) + " is NULL");
        }
        group.params.emplace_back(in.patterns[k]);
      }
      if (group.params.empty()) {
        nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT, what + " selects no parameters (no pattern)");
      }
      group.options = {in.lr, in.beta1, in.beta2, in.eps, in.weight_decay};
      c.groups.push_back(std::move(group));
    }
    network->model.set_optimizer(c);
  });
}

nnstate_status nnstate_network_param_group_count(const nnstate_network *network, size_t *out) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(out, "out");
    *out = require_optimizer(network).group_count();
  });
}

nnstate_status nnstate_network_param_group(const nnstate_network *network, size_t group,
                                           nnstate_param_group_info *info) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(info, "info");
    nnstate::capi::check_struct_size(info, "nnstate_param_group_info",
                                     "set it to sizeof(nnstate_param_group_info)");
    const nnstate::Optimizer &optimizer = require_optimizer(network);
    check_group(optimizer, group);
    const nnstate::ParamGroupOptions o = optimizer.group_options(group);
    info->lr = o.lr;
    info->beta1 = o.beta1;
    info->beta2 = o.beta2;
    info->eps = o.eps;
    info->weight_decay = o.weight_decay;
    info->pattern_count = group == 0 ? 0 : optimizer.config().groups[group - 1].params.size();
    info->parameter_count = static_cast<size_t>(
        std::count(optimizer.param_groups().begin(), optimizer.param_groups().end(), group));
  });
}

nnstate_status nnstate_network_param_group_pattern(const nnstate_network *network, size_t group,
                                                   size_t index, const char **out) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(out, "out");
    const nnstate::Optimizer &optimizer = require_optimizer(network);
    check_group(optimizer, group);
    const size_t count = group == 0 ? 0 : optimizer.config().groups[group - 1].params.size();
    if (index >= count) {
      nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT, "param group " + std::to_string(group) + " has " +
                                                      std::to_string(count) + " patterns, not " +
                                                      std::to_string(index + 1));
    }
    *out = optimizer.config().groups[group - 1].params[index].c_str();
  });
}

nnstate_status nnstate_network_param_group_of(const nnstate_network *network, const char *name,
                                              size_t *out) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(name, "name");
    require_arg(out, "out");
    nnstate::Model &model = nnstate::capi::mutable_network(network)->model;
    const nnstate::Optimizer &optimizer = require_optimizer(network);
    const std::vector<std::string> &names = optimizer.param_names();
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == name) {
        *out = optimizer.param_groups()[i];
        return;
      }
    }
    if (model.is_frozen(name)) {
      nnstate::fail(NNSTATE_ERR_STATE,
                    std::string("parameter \"") + name + "\" is frozen: it is in no param group");
    }
    nnstate::fail(NNSTATE_ERR_NOT_FOUND,
                  std::string("the network has no parameter named \"") + name + "\"");
  });
}

nnstate_status nnstate_network_set_group_lr(nnstate_network *network, size_t group, double lr) {
  return guard([&] {
    require_arg(network, "network");
    nnstate::Optimizer &optimizer = require_optimizer(network);
    check_group(optimizer, group);
    optimizer.set_group_lr(group, lr);
  });
}

nnstate_status nnstate_trainer_set_group_min_lr(nnstate_trainer *trainer, const double *values,
                                                size_t count) {
  return guard([&] {
    require_arg(trainer, "trainer");
    if (count > 0) require_arg(values, "values");
    trainer->trainer->set_group_min_lr(std::vector<double>(values, values + count));
  });
}
