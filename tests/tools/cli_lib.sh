# Shared by the nnstate CLI test scripts (sourced, POSIX sh): sets up WORK, counts failures,
# runs nnstate with its exit status and messages checked. Needs NNSTATE and WORK set.
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
cd "$WORK" || exit 1
failures=0

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# run EXPECTED_STATUS ARGS...: runs nnstate, keeps stdout in out.txt and stderr in err.txt.
run() {
  expected=$1
  shift
  "$NNSTATE" "$@" > out.txt 2> err.txt
  status=$?
  if [ "$status" -ne "$expected" ]; then
    fail "nnstate $* exited with $status, expected $expected"
    sed 's/^/  stderr: /' err.txt | head -5
  fi
}

# expect_error STATUS PATTERN ARGS...: a failure whose stderr lines all start with "nnstate: "
# and one of them matches PATTERN.
expect_error() {
  expected=$1
  pattern=$2
  shift 2
  run "$expected" "$@"
  if ! grep -q "^nnstate: .*$pattern" err.txt; then
    fail "nnstate $*: no message matching '$pattern' on stderr:"
    sed 's/^/  /' err.txt | head -5
  fi
  if grep -v '^nnstate: ' err.txt | grep -q .; then
    fail "nnstate $*: stderr has lines without the 'nnstate: ' prefix"
  fi
}
