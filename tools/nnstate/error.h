// One error type for the whole program: main() prints "nnstate: <message>" on stderr and exits
// with the error's code, so every failure path ends the same way.
#pragma once

#include <stdexcept>
#include <string>

namespace nnstate_cli {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;  // runtime failure: a file, the data, the library
constexpr int kExitUsage = 2;    // the command line is wrong

class Error : public std::runtime_error {
 public:
  Error(int code, const std::string &message) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

[[noreturn]] inline void fail_usage(const std::string &message) {
  throw Error(kExitUsage, message);
}
[[noreturn]] inline void fail_runtime(const std::string &message) {
  throw Error(kExitFailure, message);
}

}  // namespace nnstate_cli
