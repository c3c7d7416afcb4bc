// `nnstate diff A B`: what differs between two checkpoints — every stored field (the C API's
// nnstate_checkpoint_field_*: versions, environment, architecture, loss, optimizer options and
// per-parameter steps, RNG streams, scheduler, early stopping, training position and history),
// the user metadata, and every tensor bitwise (weights, optimizer state, best weights).
#include <fnmatch.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

#include "args.h"
#include "checkpoint_view.h"
#include "commands.h"

namespace nnstate_cli {
namespace {

// As diff(1) and cmp(1): 1 means "they differ"; trouble (an unreadable file) is 2, the status
// main gives this command's failures.
constexpr int kExitDiffer = 1;

const CommandSpec kDiffSpec = {
    "diff",
    "[OPTIONS] A B",
    "Compares two checkpoints completely: every stored field (format and writer versions,\n"
    "environment, architecture and layer configurations, loss, optimizer options and each\n"
    "parameter's step, RNG streams, scheduler and early-stopping configuration and state,\n"
    "training position, partial epoch sums and history), the user metadata, and every tensor\n"
    "bitwise (parameters, buffers, optimizer state, early stopping's best weights).\n"
    "Prints one line per difference: the field's full name and both values in full (long or\n"
    "multi-line values: the first differing character with context), and for each tensor the\n"
    "number of differing values with the largest absolute and relative difference. Wall-clock\n"
    "fields (creation time, epoch seconds) are not compared unless --include-times.",
    {{"Options",
      {{"ignore-metadata", "KEY",
        "do not compare metadata KEY (a glob as in fnmatch(3), e.g. 'cli.*'; repeatable)"},
       {"include-times", nullptr, "also compare wall-clock fields"}}}},
    "Exit status: 0 identical, 1 they differ, 2 usage error or a file that is missing or\n"
    "invalid (as diff(1), so that 1 always means 'different').",
    2,
};

std::string float_text(float v) {
  char text[32];
  if (std::isnan(v)) {
    uint32_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    std::snprintf(text, sizeof text, "nan(0x%08x)", bits);  // payloads differ: show them
  } else {
    std::snprintf(text, sizeof text, "%.9g", static_cast<double>(v));  // reads back exactly
  }
  return text;
}

std::string number_text(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", v);
  return text;
}

// Control characters and quotes escaped, so that a value is one line and its end is visible.
std::string escaped(const std::string &s) {
  std::string out;
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\\' || c == '\'') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += ch;
    }
  }
  return out;
}

// "'a' -> 'b'" in full, or for long or multi-line values where they first differ, with context.
std::string change_text(const std::string &a, const std::string &b) {
  constexpr size_t kShort = 80, kBefore = 20, kAfter = 40;
  if (a.size() <= kShort && b.size() <= kShort && a.find('\n') == std::string::npos &&
      b.find('\n') == std::string::npos) {
    return "'" + escaped(a) + "' -> '" + escaped(b) + "'";
  }
  size_t at = 0;
  while (at < a.size() && at < b.size() && a[at] == b[at]) ++at;
  size_t line = 1, column = 1;
  for (size_t i = 0; i < at; ++i) {
    column = a[i] == '\n' ? 1 : column + 1;
    line += a[i] == '\n' ? 1 : 0;
  }
  const size_t from = at > kBefore ? at - kBefore : 0;
  const auto excerpt = [&](const std::string &s) {
    const std::string part = from < s.size() ? s.substr(from, at - from + kAfter) : "";
    return std::string(from > 0 ? "..." : "") + "'" + escaped(part) + "'" +
           (from + part.size() < s.size() ? "..." : "");
  };
  return "differ at character " + std::to_string(at + 1) + " (line " + std::to_string(line) +
         ", column " + std::to_string(column) + "; " + std::to_string(a.size()) + " -> " +
         std::to_string(b.size()) + " characters): " + excerpt(a) + " -> " + excerpt(b);
}

// Numbers and names print as they are; any other text (spaces at an end, control characters,
// long) quoted and escaped as change_text does, so that different values never look alike.
bool plain(const std::string &s) {
  if (s.empty() || s.size() > 80 || s.front() == ' ' || s.back() == ' ') return false;
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f || c == '\'' || c == '\\') return false;
  }
  return true;
}

std::string field_change(const std::string &a, const std::string &b) {
  return plain(a) && plain(b) ? a + " -> " + b : change_text(a, b);
}

// "[3, 5]": the row-major index of element `flat` in a tensor of that shape.
std::string index_text(const TensorView &t, size_t flat) {
  if (t.shape.size() <= 1) return "[" + std::to_string(flat) + "]";
  std::vector<int64_t> index(t.shape.size());
  for (size_t d = t.shape.size(); d-- > 0;) {
    const uint64_t dim = static_cast<uint64_t>(t.shape[d] > 0 ? t.shape[d] : 1);
    index[d] = static_cast<int64_t>(flat % dim);
    flat /= dim;
  }
  std::string s = "[";
  for (size_t d = 0; d < index.size(); ++d) s += (d ? ", " : "") + std::to_string(index[d]);
  return s + "]";
}

struct Counts {
  size_t fields = 0, metadata = 0, tensors = 0;
  size_t fields_compared = 0, times_skipped = 0, metadata_compared = 0, metadata_ignored = 0;
  size_t tensors_compared = 0;
};

void compare_fields(const CheckpointView &a, const CheckpointView &b, bool include_times,
                    Counts &n) {
  std::map<std::string, const nnstate::Field *> in_b;
  for (const nnstate::Field &f : b.fields) in_b[f.name] = &f;
  std::set<std::string> in_a;
  for (const nnstate::Field &fa : a.fields) {
    in_a.insert(fa.name);
    const auto it = in_b.find(fa.name);
    if (it == in_b.end()) {
      if (fa.wall_clock() && !include_times) continue;  // its row's other fields say it all
      std::printf("%s: %s -> (absent)\n", fa.name.c_str(), fa.value.c_str());
      ++n.fields;
      continue;
    }
    const nnstate::Field &fb = *it->second;
    if ((fa.wall_clock() || fb.wall_clock()) && !include_times) {
      ++n.times_skipped;
      continue;
    }
    ++n.fields_compared;
    if (fa.value == fb.value) continue;
    std::printf("%s: %s\n", fa.name.c_str(), field_change(fa.value, fb.value).c_str());
    ++n.fields;
  }
  for (const nnstate::Field &fb : b.fields) {
    if (in_a.count(fb.name) || (fb.wall_clock() && !include_times)) continue;
    std::printf("%s: (absent) -> %s\n", fb.name.c_str(), fb.value.c_str());
    ++n.fields;
  }
}

bool ignored(const std::string &key, const std::vector<std::string> &patterns) {
  for (const std::string &p : patterns) {
    if (fnmatch(p.c_str(), key.c_str(), 0) == 0) return true;
  }
  return false;
}

void compare_metadata(const CheckpointView &a, const CheckpointView &b,
                      const std::vector<std::string> &ignore, Counts &n) {
  std::set<std::string> keys;
  for (const auto &kv : a.metadata) keys.insert(kv.first);
  for (const auto &kv : b.metadata) keys.insert(kv.first);
  for (const std::string &key : keys) {
    if (ignored(key, ignore)) {
      ++n.metadata_ignored;
      continue;
    }
    ++n.metadata_compared;
    const std::string *va = a.meta(key), *vb = b.meta(key);
    if (va && vb && *va == *vb) continue;
    const std::string change = va && vb ? change_text(*va, *vb)
                               : va     ? "'" + escaped(*va) + "' -> (absent)"
                                        : "(absent) -> '" + escaped(*vb) + "'";
    std::printf("metadata[%s]: %s\n", key.c_str(), change.c_str());
    ++n.metadata;
  }
}

// Compares the values bitwise; prints a line when any differs.
void compare_values(const TensorView &a, const TensorView &b, Counts &n) {
  if (std::memcmp(a.data, b.data, a.bytes) == 0) return;
  size_t differing = 0, non_finite = 0, abs_at = 0, rel_at = 0;
  double largest_abs = -1, largest_rel = -1;
  for (size_t i = 0; i < a.count; ++i) {
    if (std::memcmp(&a.data[i], &b.data[i], sizeof(float)) == 0) continue;
    ++differing;
    const double va = static_cast<double>(a.data[i]), vb = static_cast<double>(b.data[i]);
    const double diff = std::fabs(va - vb);
    if (!std::isfinite(diff)) {
      ++non_finite;
      continue;
    }
    // Relative to the larger magnitude; 0 for -0 vs +0.
    const double scale = std::fmax(std::fabs(va), std::fabs(vb));
    const double rel = scale > 0 ? diff / scale : 0.0;
    if (diff > largest_abs) largest_abs = diff, abs_at = i;
    if (rel > largest_rel) largest_rel = rel, rel_at = i;
  }
  const auto at = [&](size_t i) {
    return index_text(a, i) + " (" + float_text(a.data[i]) + " -> " + float_text(b.data[i]) + ")";
  };
  std::printf("tensor %s: %zu of %zu values differ", a.name.c_str(), differing, a.count);
  if (largest_abs >= 0) {
    std::printf(", max |a-b| %s at %s, max relative %s at %s", number_text(largest_abs).c_str(),
                at(abs_at).c_str(), number_text(largest_rel).c_str(), at(rel_at).c_str());
  }
  if (non_finite) {
    std::printf(", %zu involving NaN or infinity", non_finite);
    if (largest_abs < 0) {
      size_t first = 0;
      while (std::memcmp(&a.data[first], &b.data[first], sizeof(float)) == 0) ++first;
      std::printf(", first at %s", at(first).c_str());
    }
  }
  std::printf("\n");
  ++n.tensors;
}

void compare_tensors(const CheckpointView &a, const CheckpointView &b, Counts &n) {
  for (const TensorView &ta : a.tensors) {
    const TensorView *tb = b.find(ta.name);
    if (!tb) {
      std::printf("only in %s: tensor %s %s %s\n", a.path.c_str(), ta.name.c_str(),
                  role_name(ta.role), shape_text(ta).c_str());
      ++n.tensors;
      continue;
    }
    ++n.tensors_compared;
    if (ta.role != tb->role || ta.dtype != tb->dtype || shape_text(ta) != shape_text(*tb)) {
      std::printf("tensor %s: %s %s %s -> %s %s %s\n", ta.name.c_str(), role_name(ta.role),
                  dtype_name(ta.dtype), shape_text(ta).c_str(), role_name(tb->role),
                  dtype_name(tb->dtype), shape_text(*tb).c_str());
      ++n.tensors;
      continue;
    }
    compare_values(ta, *tb, n);
  }
  for (const TensorView &tb : b.tensors) {
    if (a.find(tb.name)) continue;
    std::printf("only in %s: tensor %s %s %s\n", b.path.c_str(), tb.name.c_str(),
                role_name(tb.role), shape_text(tb).c_str());
    ++n.tensors;
  }
}

int run_diff(const Args &args) {
  const std::string &path_a = args.positionals()[0], &path_b = args.positionals()[1];
  const CheckpointView a = open_checkpoint_view(path_a, false);
  const CheckpointView b = open_checkpoint_view(path_b, false);
  Counts n;
  compare_fields(a, b, args.flag("include-times"), n);
  compare_metadata(a, b, args.every("ignore-metadata"), n);
  compare_tensors(a, b, n);

  std::string skipped;
  if (n.times_skipped) {
    skipped += ", " + std::to_string(n.times_skipped) + " wall-clock field(s) not compared";
  }
  if (n.metadata_ignored) {
    skipped += ", " + std::to_string(n.metadata_ignored) + " metadata key(s) ignored";
  }
  if (n.fields == 0 && n.metadata == 0 && n.tensors == 0) {
    std::printf("identical: %zu tensors bitwise, %zu fields, %zu metadata key(s)%s\n",
                n.tensors_compared, n.fields_compared, n.metadata_compared, skipped.c_str());
    return kExitOk;
  }
  std::printf(
      "differ: %zu field(s), %zu metadata key(s), %zu tensor(s) (of %zu in %s, %zu in %s)%s\n",
      n.fields, n.metadata, n.tensors, a.tensors.size(), path_a.c_str(), b.tensors.size(),
      path_b.c_str(), skipped.c_str());
  return kExitDiffer;
}

}  // namespace

int cmd_diff(int argc, char **argv) {
  const Args args = Args::parse(kDiffSpec, argc, argv);
  if (args.help()) {
    print_help(kDiffSpec, stdout);
    return kExitOk;
  }
  if (args.positionals().size() != 2) args.fail("needs two checkpoint files, A and B");
  return run_diff(args);
}

}  // namespace nnstate_cli
