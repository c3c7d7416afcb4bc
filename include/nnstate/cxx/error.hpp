// nnstate C++ wrapper: errors and owning handles (part of nnstate.hpp; include that).
#ifndef NNSTATE_CXX_ERROR_HPP
#define NNSTATE_CXX_ERROR_HPP

#include <stdexcept>
#include <string>
#include <utility>

#include "nnstate/nnstate.h"

namespace nnstate {

// A failed C call: its status and the library's message. what() is "<status text>: <message>",
// e.g. "shape mismatch: inputs: 3 floats for batch 1 x 2 inputs".
class Error : public std::runtime_error {
 public:
  Error(nnstate_status status, const std::string &message)
      : std::runtime_error(std::string(nnstate_status_string(status)) + ": " +
                           (message.empty() ? nnstate_status_string(status) : message)),
        status_(status),
        message_(message.empty() ? nnstate_status_string(status) : message) {}
  nnstate_status status() const noexcept { return status_; }
  // The library's message alone (nnstate_last_error() at the failure), never empty.
  const std::string &message() const noexcept { return message_; }

 private:
  nnstate_status status_;
  std::string message_;
};

// Throws Error for a failed status, with the calling thread's last error message.
inline void check(nnstate_status status) {
  if (status != NNSTATE_OK) throw Error(status, nnstate_last_error());
}

// The text of a C function with nnstate_network_node_json's buffer convention: `call(buffer,
// capacity, &size)` is asked for the size first (NULL buffer), then fills a buffer of it.
template <typename Call>
std::string read_text(Call &&call) {
  size_t size = 0;
  const nnstate_status asked = call(nullptr, 0, &size);
  if (asked != NNSTATE_ERR_SHAPE_MISMATCH) check(asked);  // an error other than "too small"
  std::string text(size, '\0');
  check(call(&text[0], text.size(), &size));
  text.resize(size > 0 ? size - 1 : 0);  // without the terminating NUL
  return text;
}

// Owns a C handle and frees it with `Free`; movable, not copyable. A moved-from handle is
// NULL, which every C function refuses with NNSTATE_ERR_INVALID_ARGUMENT (so a wrapper call on
// it throws Error instead of crashing).
template <typename T, void (*Free)(T *)>
class Handle {
 public:
  Handle() = default;
  explicit Handle(T *raw) : raw_(raw) {}
  Handle(Handle &&other) noexcept : raw_(std::exchange(other.raw_, nullptr)) {}
  Handle &operator=(Handle &&other) noexcept {
    if (this != &other) {
      Free(raw_);
      raw_ = std::exchange(other.raw_, nullptr);
    }
    return *this;
  }
  Handle(const Handle &) = delete;
  Handle &operator=(const Handle &) = delete;
  ~Handle() { Free(raw_); }
  T *get() const noexcept { return raw_; }

 private:
  T *raw_ = nullptr;
};

}  // namespace nnstate

#endif  // NNSTATE_CXX_ERROR_HPP
