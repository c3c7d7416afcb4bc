#include "parallel/blas_core.h"

#include <cblas.h>
#include <dlfcn.h>

#include <cstdlib>

namespace nnstate {
namespace {

bool cpu_has_avx512() {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl");
#else
  return false;
#endif
}

bool cpu_has_avx2_fma() {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

// Switches OpenBLAS to `core` through its DYNAMIC_ARCH entry points (exported, found at run
// time so that another BLAS build simply keeps its kernels): quit clears the kernel table,
// init reads OPENBLAS_CORETYPE and installs that core's table and blocking parameters. The
// entry points are looked up in the library that provides our OpenBLAS calls, not in whichever
// BLAS the process loaded first.
std::string switch_core(const std::string &core) {
  Dl_info info{};
  if (!dladdr(reinterpret_cast<void *>(&openblas_get_corename), &info) || !info.dli_fname) {
    return "";
  }
  void *blas = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
  if (!blas) return "";  // linked statically: nothing to look up
  using Entry = void (*)();
  const auto quit = reinterpret_cast<Entry>(dlsym(blas, "gotoblas_dynamic_quit"));
  const auto init = reinterpret_cast<Entry>(dlsym(blas, "gotoblas_dynamic_init"));
  dlclose(blas);  // RTLD_NOLOAD took one more reference; the library stays loaded
  if (!quit || !init) return "";
  if (setenv("OPENBLAS_CORETYPE", core.c_str(), 0) != 0) return "";
  quit();
  init();
  const char *now = openblas_get_corename();
  return now ? now : "";
}

std::string select_at_load() {
  const char *detected = openblas_get_corename();
  const std::string core =
      better_blas_core(detected ? detected : "", std::getenv("OPENBLAS_CORETYPE") != nullptr,
                       cpu_has_avx512(), cpu_has_avx2_fma());
  return core.empty() ? "" : switch_core(core);
}

// Runs when the library (or a program linking the core) is loaded: OpenBLAS, a dependency, is
// initialised by then, and no GEMM of ours has run.
const std::string &selected_at_load() {
  static const std::string core = select_at_load();
  return core;
}

__attribute__((constructor)) void select_blas_core_at_load() {
  selected_at_load();
}

}  // namespace

// Named by the link options of nnstate_core (CMakeLists.txt), so that every program linking the
// static core keeps this file and its constructor.
extern "C" void libnnstate_blas_core_anchor() {}

const std::string &selected_blas_core() {
  return selected_at_load();
}

std::string better_blas_core(const std::string &detected, bool forced, bool avx512, bool avx2_fma) {
  if (forced || detected != "Prescott") return "";
  if (avx512) return "SkylakeX";
  if (avx2_fma) return "Haswell";
  return "";
}

}  // namespace nnstate
