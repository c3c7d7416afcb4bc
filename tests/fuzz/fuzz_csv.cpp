// Numeric CSV parsing (tools/nnstate/csv.h) with each header mode; a table's size must match
// its values.
#include <cstdlib>
#include <stdexcept>

#include "csv.h"
#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using nnstate_cli::CsvHeader;
  for (CsvHeader header : {CsvHeader::automatic, CsvHeader::present, CsvHeader::absent}) {
    try {
      const nnstate_cli::CsvTable table =
          nnstate_cli::parse_csv(reinterpret_cast<const char *>(data), size, header);
      if (table.values.size() != table.rows * table.cols) std::abort();
    } catch (const std::runtime_error &) {
    }
  }
  return 0;
}
