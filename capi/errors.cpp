// Status strings, the thread-local last error, and version queries.
#include <string>

#include "guard.h"

namespace nnstate::capi {

// Per thread, so concurrent callers never see each other's messages.
thread_local std::string last_error_message;
// Set when the message itself could not be stored, so that an error never reads as "".
thread_local const char *last_error_fallback = nullptr;

nnstate_status set_error(nnstate_status status, const std::string &message) {
  try {
    last_error_message = message;
    last_error_fallback = nullptr;
  } catch (...) {
    // Out of memory while reporting: keep the status and a static message at least.
    last_error_message.clear();
    last_error_fallback = "out of memory while recording the error message";
  }
  return status;
}

void clear_error() {
  last_error_message.clear();
  last_error_fallback = nullptr;
}

}  // namespace nnstate::capi

extern "C" {

const char *nnstate_version_string(void) {
  return NNSTATE_VERSION_STRING;
}

int32_t nnstate_abi_version(void) {
  return NNSTATE_ABI_VERSION;
}

const char *nnstate_status_string(nnstate_status status) {
  switch (status) {
    case NNSTATE_OK:
      return "ok";
    case NNSTATE_ERR_INVALID_ARGUMENT:
      return "invalid argument";
    case NNSTATE_ERR_SHAPE_MISMATCH:
      return "shape mismatch";
    case NNSTATE_ERR_OUT_OF_MEMORY:
      return "out of memory";
    case NNSTATE_ERR_IO:
      return "input/output error";
    case NNSTATE_ERR_CORRUPT:
      return "corrupt checkpoint";
    case NNSTATE_ERR_VERSION:
      return "unsupported version";
    case NNSTATE_ERR_NOT_FOUND:
      return "not found";
    case NNSTATE_ERR_STATE:
      return "invalid state";
    case NNSTATE_ERR_INTERNAL:
      return "internal error";
    default:
      return "unknown status";
  }
}

const char *nnstate_last_error(void) {
  if (nnstate::capi::last_error_fallback) return nnstate::capi::last_error_fallback;
  return nnstate::capi::last_error_message.c_str();
}

}  // extern "C"
