// Command-line options declared as tables: the same table parses argv and prints --help, so
// the two cannot drift apart. Options are long ("--lr 0.01" or "--lr=0.01"); flags take no
// value. Every mistake is a usage error (exit 2) naming the subcommand and the option.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace nnstate_cli {

// A mistake on the command line (an unknown option, a bad value, an invalid architecture):
// main prints it and exits with status 2. Other failures are std::runtime_error (status 1).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OptionSpec {
  const char *name;     // without the leading "--"
  const char *metavar;  // nullptr: a flag without value
  const char *help;
};

struct OptionGroup {
  const char *title;
  std::vector<OptionSpec> options;
};

struct CommandSpec {
  const char *name;         // "train"
  const char *usage;        // after "nnstate train "
  const char *description;  // paragraph(s) shown first by --help
  std::vector<OptionGroup> groups;
  const char *epilog;      // shown last by --help; may be nullptr
  size_t max_positionals;  // operands allowed besides options
};

class Args {
 public:
  // Throws a usage Error for unknown options, missing values, values given to flags, and too
  // many operands. "-h" and "--help" set help() and stop checking.
  static Args parse(const CommandSpec &spec, int argc, char **argv);

  bool help() const { return help_; }
  bool has(const std::string &name) const { return values_.count(name) != 0; }
  bool flag(const std::string &name) const { return has(name); }
  const std::vector<std::string> &positionals() const { return positionals_; }

  // The value of the option (its last one when given several times).
  std::string text(const std::string &name, const std::string &fallback = "") const;
  // Every value of a repeatable option, in command-line order.
  std::vector<std::string> every(const std::string &name) const;
  // Numbers must be whole, finite and inside [lo, hi]; the message names the option.
  double number(const std::string &name, double fallback, double lo, double hi) const;
  int64_t integer(const std::string &name, int64_t fallback, int64_t lo, int64_t hi) const;
  // One of `choices`, else a usage error listing them.
  std::string choice(const std::string &name, const std::string &fallback,
                     const std::vector<std::string> &choices) const;
  // Comma-separated integers ("10,20,30").
  std::vector<int64_t> integer_list(const std::string &name, int64_t lo, int64_t hi) const;

  // A usage error about this command: "train: <message> (see 'nnstate train --help')".
  [[noreturn]] void fail(const std::string &message) const;

 private:
  std::string command_;
  bool help_ = false;
  void set(const std::string &name, const std::string &value);
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> every_;
  std::vector<std::string> positionals_;
};

void print_help(const CommandSpec &spec, FILE *out);

}  // namespace nnstate_cli
