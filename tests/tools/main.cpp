// Unit tests of the nnstate command-line program's decoders and parsers (tools/nnstate).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
