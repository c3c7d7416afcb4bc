#include "optim/param_groups.h"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "util/error.h"

namespace nnstate {
namespace {

// Calls f(pattern) for every pattern that can select `name`: each module path it lies in and the
// name itself, each with and without a trailing dot. Matching by lookup keeps the work linear in
// the names' length, however many patterns an (untrusted) checkpoint lists.
template <typename F>
void for_each_selecting_pattern(const std::string &name, F f) {
  for (size_t i = 0; i <= name.size(); ++i) {
    if (i < name.size() && name[i] != '.') continue;
    const std::string stem = name.substr(0, i);
    f(stem);
    f(stem + ".");
  }
}

}  // namespace

bool name_matches(const std::string &pattern, const std::string &name) {
  if (pattern.empty()) return false;
  const bool module = pattern.back() == '.';
  const size_t stem = module ? pattern.size() - 1 : pattern.size();
  if (name.compare(0, stem, pattern, 0, stem) != 0) return false;
  if (name.size() == stem) return true;  // the tensor or module itself
  return name[stem] == '.';
}

bool any_matches(const std::vector<std::string> &patterns, const std::string &name) {
  for (const std::string &p : patterns) {
    if (name_matches(p, name)) return true;
  }
  return false;
}

void check_patterns(const std::vector<std::string> &patterns, const std::string &what) {
  std::set<std::string> seen;
  for (const std::string &p : patterns) {
    if (p.empty() || p == ".") {
      fail(NNSTATE_ERR_INVALID_ARGUMENT, what + ": an empty name pattern (\"" + p + "\")");
    }
    if (!seen.insert(p).second) {
      fail(NNSTATE_ERR_INVALID_ARGUMENT, what + ": the pattern \"" + p + "\" is given twice");
    }
  }
}

void check_patterns_match(const std::vector<std::string> &patterns,
                          const std::vector<std::string> &names, const std::string &what) {
  std::unordered_map<std::string, bool> found;
  for (const std::string &p : patterns) found.emplace(p, false);
  for (const std::string &n : names) {
    for_each_selecting_pattern(n, [&](const std::string &candidate) {
      auto it = found.find(candidate);
      if (it != found.end()) it->second = true;
    });
  }
  for (const std::string &p : patterns) {
    if (!found.at(p)) {
      fail(NNSTATE_ERR_NOT_FOUND, what + ": \"" + p +
                                      "\" names no parameter of the network (neither a parameter "
                                      "nor a module holding one)");
    }
  }
}

std::vector<size_t> assign_param_groups(const std::vector<ParamGroupConfig> &groups,
                                        const std::vector<std::string> &names) {
  std::unordered_multimap<std::string, size_t> group_of;  // pattern -> 1 + group
  for (size_t g = 0; g < groups.size(); ++g) {
    const std::string what = "param group " + std::to_string(g);
    check_patterns(groups[g].params, what);
    if (groups[g].params.empty()) {
      fail(NNSTATE_ERR_INVALID_ARGUMENT, what + " selects no parameters (no pattern given)");
    }
    for (const std::string &p : groups[g].params) group_of.emplace(p, g + 1);
  }
  std::vector<size_t> out(names.size(), 0);
  for (size_t i = 0; i < names.size(); ++i) {
    for_each_selecting_pattern(names[i], [&](const std::string &candidate) {
      auto range = group_of.equal_range(candidate);
      for (auto it = range.first; it != range.second; ++it) {
        const size_t g = it->second;
        if (out[i] != 0 && out[i] != g) {
          // torch refuses a parameter in two groups ("some parameters appear in more than one").
          const size_t a = std::min(out[i], g), b = std::max(out[i], g);
          fail(NNSTATE_ERR_INVALID_ARGUMENT, "parameter \"" + names[i] + "\" is in param group " +
                                                 std::to_string(a - 1) + " and in param group " +
                                                 std::to_string(b - 1));
        }
        out[i] = g;
      }
    });
  }
  return out;
}

}  // namespace nnstate
