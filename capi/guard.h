// The exception guard of the C API: every entry point runs its body through nnstate_guard, so
// no C++ exception crosses the ABI and every failure becomes a status plus a thread-local
// message.
#pragma once

#include <new>
#include <string>
#include <string_view>

#include "nnstate/nnstate.h"
#include "util/error.h"

namespace nnstate::capi {

// Records `message` as this thread's last error and returns `status`.
nnstate_status set_error(nnstate_status status, const std::string &message);
void clear_error();

template <typename Body>
nnstate_status guard(Body &&body) noexcept {
  try {
    clear_error();
    body();
    return NNSTATE_OK;
  } catch (const Error &e) {
    return set_error(e.status(), e.what());
  } catch (const std::bad_alloc &) {
    return set_error(NNSTATE_ERR_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception &e) {
    try {
      return set_error(NNSTATE_ERR_INTERNAL, std::string("internal error: ") + e.what());
    } catch (...) {
      return set_error(NNSTATE_ERR_INTERNAL, "internal error");
    }
  } catch (...) {
    return set_error(NNSTATE_ERR_INTERNAL, "internal error: unknown exception");
  }
}

// Throws INVALID_ARGUMENT naming the parameter when a required pointer is NULL.
inline void require_arg(const void *pointer, const char *name) {
  if (!pointer) fail(NNSTATE_ERR_INVALID_ARGUMENT, std::string(name) + " is NULL");
}

// Throws VERSION when a caller's struct was built for another layout (its struct_size differs
// from this library's sizeof). The message names the type and, by default, its _init function;
// structs without one pass their own `fix`.
template <typename Struct>
void check_struct_size(const Struct *s, std::string_view type_name, std::string_view fix = {}) {
  if (s->struct_size == sizeof(Struct)) return;
  const std::string name(type_name);
  const std::string hint = fix.empty() ? "call " + name + "_init first" : std::string(fix);
  fail(NNSTATE_ERR_VERSION, name + ".struct_size is " + std::to_string(s->struct_size) +
                                ", this library knows " + std::to_string(sizeof(Struct)) + " (" +
                                hint + ")");
}

}  // namespace nnstate::capi
