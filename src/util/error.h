// Error type of the core: every failure carries an nnstate_status code and a message that
// names the values involved. The C API guard turns it into a status + nnstate_last_error().
#pragma once

#include <stdexcept>
#include <string>

#include "nnstate/nnstate.h"

namespace nnstate {

class Error : public std::runtime_error {
 public:
  Error(nnstate_status status, const std::string &message)
      : std::runtime_error(message), status_(status) {}
  nnstate_status status() const { return status_; }

 private:
  nnstate_status status_;
};

[[noreturn]] inline void fail(nnstate_status status, const std::string &message) {
  throw Error(status, message);
}

}  // namespace nnstate
