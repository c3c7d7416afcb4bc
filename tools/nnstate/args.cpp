#include "args.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace nnstate_cli {
namespace {

const OptionSpec *find(const CommandSpec &spec, const std::string &name) {
  for (const OptionGroup &g : spec.groups) {
    for (const OptionSpec &o : g.options) {
      if (name == o.name) return &o;
    }
  }
  return nullptr;
}

std::string format_number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

}  // namespace

Args Args::parse(const CommandSpec &spec, int argc, char **argv) {
  Args args;
  args.command_ = spec.name;
  bool options_done = false;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (!options_done && (arg == "-h" || arg == "--help")) {
      args.help_ = true;
      return args;
    }
    if (!options_done && arg == "--") {
      options_done = true;
      continue;
    }
    if (options_done || arg.size() < 2 || arg[0] != '-') {
      if (args.positionals_.size() >= spec.max_positionals) {
        args.fail(spec.max_positionals ? "unexpected extra argument '" + arg + "'"
                                       : "unexpected argument '" + arg + "'");
      }
      args.positionals_.push_back(arg);
      continue;
    }
    if (arg[1] != '-') args.fail("unknown option '" + arg + "' (options are long: --name)");
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    const OptionSpec *option = find(spec, name);
    if (!option) args.fail("unknown option '--" + name + "'");
    if (!option->metavar) {
      if (eq != std::string::npos) args.fail("option '--" + name + "' takes no value");
      args.set(name, "");
      continue;
    }
    if (eq != std::string::npos) {
      args.set(name, arg.substr(eq + 1));
    } else if (i + 1 < argc) {
      args.set(name, argv[++i]);
    } else {
      args.fail("option '--" + name + "' needs a value (" + option->metavar + ")");
    }
  }
  return args;
}

void Args::set(const std::string &name, const std::string &value) {
  values_[name] = value;
  every_[name].push_back(value);
}

std::vector<std::string> Args::every(const std::string &name) const {
  const auto it = every_.find(name);
  return it == every_.end() ? std::vector<std::string>() : it->second;
}

void Args::fail(const std::string &message) const {
  throw UsageError(command_ + ": " + message + " (see 'nnstate " + command_ + " --help')");
}

std::string Args::text(const std::string &name, const std::string &fallback) const {
  const auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

double Args::number(const std::string &name, double fallback, double lo, double hi) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  const std::string &s = it->second;
  char *end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(v)) {
    fail("--" + name + ": '" + s + "' is not a number");
  }
  if (v < lo || v > hi) {
    fail("--" + name + ": " + s + " is out of range [" + format_number(lo) + ", " +
         format_number(hi) + "]");
  }
  return v;
}

int64_t Args::integer(const std::string &name, int64_t fallback, int64_t lo, int64_t hi) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  const std::string &s = it->second;
  char *end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || errno == ERANGE) {
    fail("--" + name + ": '" + s + "' is not an integer");
  }
  if (v < lo || v > hi) {
    fail("--" + name + ": " + s + " is out of range [" + std::to_string(lo) + ", " +
         std::to_string(hi) + "]");
  }
  return v;
}

std::string Args::choice(const std::string &name, const std::string &fallback,
                         const std::vector<std::string> &choices) const {
  const std::string value = text(name, fallback);
  std::string list;
  for (const std::string &c : choices) {
    if (c == value) return value;
    list += (list.empty() ? "" : ", ") + c;
  }
  fail("--" + name + ": '" + value + "' is not one of " + list);
}

std::vector<int64_t> Args::integer_list(const std::string &name, int64_t lo, int64_t hi) const {
  std::vector<int64_t> out;
  const std::string s = text(name);
  if (s.empty()) fail("--" + name + ": give comma-separated integers (e.g. 10,20)");
  for (size_t start = 0;;) {
    const size_t comma = s.find(',', start);
    const std::string item =
        s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    char *end = nullptr;
    errno = 0;
    const long long v = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || errno == ERANGE || v < lo || v > hi) {
      fail("--" + name + ": '" + item + "' is not an integer in [" + std::to_string(lo) + ", " +
           std::to_string(hi) + "]");
    }
    out.push_back(v);
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

void print_help(const CommandSpec &spec, FILE *out) {
  std::fprintf(out, "Usage: nnstate %s %s\n\n%s\n", spec.name, spec.usage, spec.description);
  for (const OptionGroup &g : spec.groups) {
    std::fprintf(out, "\n%s:\n", g.title);
    for (const OptionSpec &o : g.options) {
      std::string left = std::string("  --") + o.name;
      if (o.metavar) left += std::string(" ") + o.metavar;
      // Help text may contain newlines: continuation lines align with the first.
      const char *help = o.help;
      if (left.size() < 29) {  // keep at least one space before the help text
        std::fprintf(out, "%-30s", left.c_str());
      } else {
        std::fprintf(out, "%s\n%30s", left.c_str(), "");
      }
      for (const char *p = help; *p; ++p) {
        std::fputc(*p, out);
        if (*p == '\n') std::fprintf(out, "%30s", "");
      }
      std::fputc('\n', out);
    }
  }
  std::fprintf(out, "  -h, --help                  show this help\n");
  if (spec.epilog) std::fprintf(out, "\n%s\n", spec.epilog);
}

}  // namespace nnstate_cli
