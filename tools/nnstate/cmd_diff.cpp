// `nnstate diff A B`: what differs between two checkpoints, field by field and tensor by
// tensor, with the largest absolute difference of each tensor.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <set>

#include "args.h"
#include "checkpoint_view.h"
#include "commands.h"

namespace nnstate_cli {
namespace {

// As diff(1) and cmp(1): 1 means "they differ", so trouble (unreadable file) is 2, not 1.
constexpr int kExitDiffer = 1;
constexpr int kExitTrouble = 2;

const CommandSpec kDiffSpec = {
    "diff",
    "A B",
    "Compares two checkpoints: format and writer versions, environment, layer count,\n"
    "optimizer kind, step and learning rate, user metadata, the set of tensors, and each\n"
    "tensor's role, shape and values (bitwise). Prints one line per difference, with the\n"
    "number of differing values and the largest absolute difference of each tensor, and the\n"
    "tensors present in only one file; creation times are not compared.",
    {},
    "Exit status: 0 identical, 1 they differ, 2 usage error or a file that is missing or\n"
    "invalid (as diff(1), so that 1 always means 'different').",
    2,
};

std::string number_text(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", v);
  return text;
}

// A multi-line value (cli.history) is summarised rather than printed in full.
std::string short_value(const std::string &s) {
  const size_t lines = static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
  if (lines == 0) return "'" + (s.size() <= 300 ? s : s.substr(0, 300) + "...") + "'";
  return "(" + std::to_string(lines) + " lines, " + std::to_string(s.size()) + " bytes)";
}

// "[3, 5]": the row-major index of element `flat` in a tensor of that shape.
std::string index_text(const TensorView &t, size_t flat) {
  if (t.rank <= 1) return "[" + std::to_string(flat) + "]";
  int64_t index[4] = {0, 0, 0, 0};
  for (int32_t d = t.rank - 1; d >= 0; --d) {
    const uint64_t dim = static_cast<uint64_t>(t.dims[d] > 0 ? t.dims[d] : 1);
    index[d] = static_cast<int64_t>(flat % dim);
    flat /= dim;
  }
  std::string s = "[";
  for (int32_t d = 0; d < t.rank; ++d) s += (d ? ", " : "") + std::to_string(index[d]);
  return s + "]";
}

struct Differences {
  size_t fields = 0;
  size_t tensors = 0;
  void field(const std::string &name, const std::string &a, const std::string &b) {
    if (a == b) return;
    std::printf("%s: %s -> %s\n", name.c_str(), a.c_str(), b.c_str());
    ++fields;
  }
};

// Compares the values bitwise; prints a line when any differs.
void compare_values(const TensorView &a, const TensorView &b, Differences &d) {
  if (std::memcmp(a.data, b.data, a.bytes) == 0) return;
  size_t differing = 0, non_finite = 0, at = 0;
  double largest = -1;
  for (size_t i = 0; i < a.count; ++i) {
    if (std::memcmp(&a.data[i], &b.data[i], sizeof(float)) == 0) continue;
    ++differing;
    const double diff = std::fabs(static_cast<double>(a.data[i]) - static_cast<double>(b.data[i]));
    if (!std::isfinite(diff)) {
      ++non_finite;
    } else if (diff > largest) {
      largest = diff;
      at = i;
    }
  }
  std::printf("tensor %s: %zu of %zu values differ", a.name.c_str(), differing, a.count);
  if (largest >= 0) {
    std::printf(", max |a-b| %s at %s (%s -> %s)", number_text(largest).c_str(),
                index_text(a, at).c_str(), number_text(static_cast<double>(a.data[at])).c_str(),
                number_text(static_cast<double>(b.data[at])).c_str());
  }
  if (non_finite) std::printf(", %zu involving NaN or infinity", non_finite);
  std::printf("\n");
  ++d.tensors;
}

}  // namespace

int cmd_diff(int argc, char **argv) {
  const Args args = Args::parse(kDiffSpec, argc, argv);
  if (args.help()) {
    print_help(kDiffSpec, stdout);
    return kExitOk;
  }
  if (args.positionals().size() != 2) args.fail("needs two checkpoint files, A and B");
  const std::string &path_a = args.positionals()[0], &path_b = args.positionals()[1];
  CheckpointView a, b;
  try {
    a = open_checkpoint_view(path_a, true);
    b = open_checkpoint_view(path_b, true);
  } catch (const Error &e) {
    throw Error(kExitTrouble, e.what());
  }

  Differences d;
  const auto version = [](const CheckpointView &v) {
    return std::to_string(v.format_major) + "." + std::to_string(v.format_minor);
  };
  d.field("format", version(a), version(b));
  d.field("writer_version", a.writer_version, b.writer_version);
  d.field("environment.blas_core_type", a.blas_core_type, b.blas_core_type);
  d.field("environment.blas_threads", std::to_string(a.blas_threads),
          std::to_string(b.blas_threads));
  d.field("layer_count", std::to_string(a.layer_count), std::to_string(b.layer_count));
  d.field("optimizer.kind", optimizer_name(a.optimizer_kind), optimizer_name(b.optimizer_kind));
  d.field("optimizer.step", std::to_string(a.optimizer_step), std::to_string(b.optimizer_step));
  // Compared through the bits, so that a change in the last place is still reported.
  const auto lr_text = [](const CheckpointView &v) {
    return v.has_lr ? number_text(v.lr) : std::string("none");
  };
  if (a.has_lr != b.has_lr || (a.has_lr && std::memcmp(&a.lr, &b.lr, sizeof a.lr) != 0)) {
    std::printf("optimizer.lr: %s -> %s\n", lr_text(a).c_str(), lr_text(b).c_str());
    ++d.fields;
  }

  std::set<std::string> keys;
  for (const auto &kv : a.metadata) keys.insert(kv.first);
  for (const auto &kv : b.metadata) keys.insert(kv.first);
  for (const std::string &key : keys) {
    const std::string *va = a.meta(key), *vb = b.meta(key);
    if (va && vb && *va == *vb) continue;
    std::printf("metadata[%s]: %s -> %s\n", key.c_str(), va ? short_value(*va).c_str() : "(absent)",
                vb ? short_value(*vb).c_str() : "(absent)");
    ++d.fields;
  }

  size_t compared = 0;
  for (const TensorView &ta : a.tensors) {
    const TensorView *tb = b.find(ta.name);
    if (!tb) {
      std::printf("only in %s: tensor %s %s %s\n", path_a.c_str(), ta.name.c_str(),
                  role_name(ta.role), shape_text(ta).c_str());
      ++d.tensors;
      continue;
    }
    ++compared;
    if (ta.role != tb->role || ta.dtype != tb->dtype || shape_text(ta) != shape_text(*tb)) {
      std::printf("tensor %s: %s %s %s -> %s %s %s\n", ta.name.c_str(), role_name(ta.role),
                  dtype_name(ta.dtype), shape_text(ta).c_str(), role_name(tb->role),
                  dtype_name(tb->dtype), shape_text(*tb).c_str());
      ++d.tensors;
      continue;
    }
    compare_values(ta, *tb, d);
  }
  for (const TensorView &tb : b.tensors) {
    if (a.find(tb.name)) continue;
    std::printf("only in %s: tensor %s %s %s\n", path_b.c_str(), tb.name.c_str(),
                role_name(tb.role), shape_text(tb).c_str());
    ++d.tensors;
  }

  if (d.fields == 0 && d.tensors == 0) {
    std::printf("identical: %zu tensors bitwise, and every compared field\n", compared);
    return kExitOk;
  }
  std::printf("differ: %zu field(s), %zu tensor(s) (of %zu in %s, %zu in %s)\n", d.fields,
              d.tensors, a.tensors.size(), path_a.c_str(), b.tensors.size(), path_b.c_str());
  return kExitDiffer;
}

}  // namespace nnstate_cli
