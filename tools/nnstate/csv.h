// Numeric CSV: comma-separated numbers, one sample per line, an optional header line. Blank
// lines and lines starting with '#' are skipped; fields may be padded with spaces; CRLF line
// ends are accepted. Quoted fields are not (the data is numeric).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "large_alloc.h"

namespace nnstate_cli {

enum class CsvHeader {
  automatic,  // the first line is a header when none of its fields is a number
  present,
  absent,
};

struct CsvTable {
  size_t rows = 0, cols = 0;
  Floats values;  // rows * cols, row-major
  std::vector<std::string> header;
};

// Errors give the line (1-based), the column and the offending text.
CsvTable parse_csv(const char *text, size_t size, CsvHeader header);

}  // namespace nnstate_cli
