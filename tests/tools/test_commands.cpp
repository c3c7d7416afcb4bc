// Unit tests of how the program turns library failures into its own: in_context (commands.h).
#include <doctest/doctest.h>

#include <new>
#include <stdexcept>
#include <string>

#include "commands.h"

using nnstate_cli::Blame;
using nnstate_cli::in_context;
using nnstate_cli::UsageError;

namespace {

[[noreturn]] void library_failure(nnstate_status status) {
  throw nnstate::Error(status, "the library's reason");
}

}  // namespace

TEST_CASE("in_context passes results through and names the context of a library failure") {
  CHECK(in_context("adding", [] { return 1 + 2; }) == 3);
  try {
    in_context("saving m.nnst", [] { library_failure(NNSTATE_ERR_IO); });
    FAIL("no error");
  } catch (const UsageError &) {
    FAIL("a runtime failure became a usage error");
  } catch (const std::runtime_error &e) {
    CHECK(std::string(e.what()) == "saving m.nnst: the library's reason");
    CHECK(dynamic_cast<const nnstate::Error *>(&e) == nullptr);  // the program's, not the library's
  }
}

TEST_CASE("in_context blames the command line only for refused values, not for lack of memory") {
  CHECK_THROWS_WITH_AS(in_context(
                           "invalid optimizer options",
                           [] { library_failure(NNSTATE_ERR_INVALID_ARGUMENT); }, Blame::usage),
                       "invalid optimizer options: the library's reason", UsageError);
  try {
    in_context(
        "invalid training options", [] { library_failure(NNSTATE_ERR_OUT_OF_MEMORY); },
        Blame::usage);
    FAIL("no error");
  } catch (const UsageError &) {
    FAIL("out of memory is not a usage error");
  } catch (const std::runtime_error &e) {
    CHECK(std::string(e.what()) == "invalid training options: the library's reason");
  }
}

TEST_CASE("in_context leaves the program's own failures alone") {
  CHECK_THROWS_WITH_AS(in_context("ctx", [] { throw UsageError("train: bad"); }), "train: bad",
                       UsageError);
  CHECK_THROWS_AS(in_context("ctx", [] { throw std::bad_alloc(); }), std::bad_alloc);
}
