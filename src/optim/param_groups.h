// Parameter groups (PyTorch's optimizer.param_groups) and the name patterns that select
// tensors for them and for freezing. A pattern is a tensor name ("fc.weight") or a module name
// ("features", "layer1." -- the trailing dot is optional): it selects the tensor of that name
// and every tensor inside that module, never "features2.weight".
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace nnstate {

// Whether `pattern` selects the tensor (or module) called `name`.
bool name_matches(const std::string &pattern, const std::string &name);
// Whether any of `patterns` selects `name`.
bool any_matches(const std::vector<std::string> &patterns, const std::string &name);
// Throws INVALID_ARGUMENT naming `what` for an empty pattern, "." or a repeated pattern.
void check_patterns(const std::vector<std::string> &patterns, const std::string &what);
// Throws INVALID_ARGUMENT naming the first pattern that selects none of `names`.
void check_patterns_match(const std::vector<std::string> &patterns,
                          const std::vector<std::string> &names, const std::string &what);

// One group's options. Values a caller leaves NaN take the optimizer's (the default group's),
// as a torch param_groups dict without the key does; an optimizer holds them resolved.
struct ParamGroupOptions {
  double lr;
  double beta1;  // Adam, AdamW
  double beta2;  // Adam, AdamW
  double eps;    // Adam, AdamW
  double weight_decay;
};

struct ParamGroupConfig {
  std::vector<std::string> params;  // patterns; at least one
  ParamGroupOptions options{kInherit, kInherit, kInherit, kInherit, kInherit};
  static constexpr double kInherit = __builtin_nan("");
};

// The group of each of `names`: 0 (the default group) when no group selects it, else 1 + the
// index of the group whose pattern does. Throws INVALID_ARGUMENT naming the tensor when two
// groups select it. (A pattern selecting no parameter is the model's check: a group may hold
// only frozen ones, which no optimizer sees.)
std::vector<size_t> assign_param_groups(const std::vector<ParamGroupConfig> &groups,
                                        const std::vector<std::string> &names);

}  // namespace nnstate
