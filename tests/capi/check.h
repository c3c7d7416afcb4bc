/*
 * Tiny assertion helpers for the C API tests (C99). Every failing check prints where it failed,
 * what was expected, and the library's last error, then exits with status 1.
 */
#ifndef NNSTATE_TESTS_CAPI_CHECK_H
#define NNSTATE_TESTS_CAPI_CHECK_H

#include "nnstate/nnstate.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline void check_fail_(const char *file, int line, const char *what) {
  fprintf(stderr, "%s:%d: CHECK failed: %s\n  last error: \"%s\"\n", file, line, what,
          nnstate_last_error());
  exit(1);
}

/* Any condition. */
#define CHECK(cond)                                      \
  do {                                                   \
    if (!(cond)) check_fail_(__FILE__, __LINE__, #cond); \
  } while (0)

static inline void check_status_(nnstate_status got, nnstate_status expected, const char *expr,
                                 const char *file, int line) {
  const char *message = nnstate_last_error();
  if (message == NULL) {
    fprintf(stderr, "%s:%d: %s: nnstate_last_error() returned NULL\n", file, line, expr);
    exit(1);
  }
  if (got != expected) {
    fprintf(stderr, "%s:%d: %s\n  returned %d (%s), expected %d (%s)\n  last error: \"%s\"\n", file,
            line, expr, (int)got, nnstate_status_string(got), (int)expected,
            nnstate_status_string(expected), message);
    exit(1);
  }
  if (expected == NNSTATE_OK && message[0] != '\0') {
    fprintf(stderr, "%s:%d: %s succeeded but left the last error \"%s\" (expected \"\")\n", file,
            line, expr, message);
    exit(1);
  }
  if (expected != NNSTATE_OK && message[0] == '\0') {
    fprintf(stderr, "%s:%d: %s failed with %d (%s) but the last error is empty\n", file, line, expr,
            (int)got, nnstate_status_string(got));
    exit(1);
  }
}

/* The call succeeds and leaves nnstate_last_error() empty. */
#define CHECK_OK(call) check_status_((call), NNSTATE_OK, #call, __FILE__, __LINE__)
/* The call fails with exactly `status` and leaves a non-empty nnstate_last_error(). */
#define CHECK_ERR(call, status) check_status_((call), (status), #call, __FILE__, __LINE__)

/* Whether `text` contains `value` in decimal as a whole number (not part of a longer one). */
static inline int text_has_number(const char *text, long long value) {
  char digits[32];
  const char *p = text;
  size_t n;
  snprintf(digits, sizeof digits, "%lld", value);
  n = strlen(digits);
  while ((p = strstr(p, digits)) != NULL) {
    int starts = p == text || !(isdigit((unsigned char)p[-1]) || p[-1] == '-' || p[-1] == '.');
    int ends = !isdigit((unsigned char)p[n]);
    if (starts && ends) return 1;
    ++p;
  }
  return 0;
}

/* The last error mentions a number / a substring. */
#define CHECK_MSG_NUMBER(value)                                                  \
  do {                                                                           \
    if (!text_has_number(nnstate_last_error(), (long long)(value)))              \
      check_fail_(__FILE__, __LINE__, "last error mentions the number " #value); \
  } while (0)
#define CHECK_MSG_CONTAINS(text)                                           \
  do {                                                                     \
    if (strstr(nnstate_last_error(), (text)) == NULL)                      \
      check_fail_(__FILE__, __LINE__, "last error contains \"" text "\""); \
  } while (0)

static inline void check_near_(double got, double expected, double tolerance, const char *expr,
                               const char *file, int line) {
  if (!(fabs(got - expected) <= tolerance)) {
    fprintf(stderr, "%s:%d: %s is %.9g, expected %.9g (tolerance %g, off by %.3g)\n", file, line,
            expr, got, expected, tolerance, fabs(got - expected));
    exit(1);
  }
}

/* |got - expected| <= tolerance (NaN fails). */
#define CHECK_NEAR(got, expected, tolerance) \
  check_near_((got), (expected), (tolerance), #got, __FILE__, __LINE__)

#endif /* NNSTATE_TESTS_CAPI_CHECK_H */
