// CSV reader: numbers, headers, comments, CRLF, and errors with line and column.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "csv.h"
#include "data.h"

using nnstate_cli::CsvHeader;
using nnstate_cli::CsvTable;

namespace {

CsvTable parse(const std::string &text, CsvHeader header = CsvHeader::automatic) {
  return nnstate_cli::parse_csv(text.data(), text.size(), header);
}

std::string error_of(const std::string &text, CsvHeader header = CsvHeader::automatic) {
  try {
    parse(text, header);
  } catch (const std::runtime_error &e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("csv: numbers, automatic header, comments, blank lines, CRLF, spaces") {
  const CsvTable t = parse("x1,x2,y\r\n# a comment\r\n1, 2.5 ,3\r\n\r\n-4e-1,+5,6\n");
  CHECK(t.header == std::vector<std::string>{"x1", "x2", "y"});
  CHECK(t.rows == 2);
  CHECK(t.cols == 3);
  CHECK(t.values == nnstate_cli::Floats{1, 2.5f, 3, -0.4f, 5, 6});
}

TEST_CASE("csv: no header, last line without newline") {
  const CsvTable t = parse("1,2\n3,4");
  CHECK(t.header.empty());
  CHECK(t.rows == 2);
}

TEST_CASE("csv: forced header modes") {
  CHECK(parse("1,2\n3,4", CsvHeader::present).rows == 1);
  CHECK(error_of("a,b\n3,4", CsvHeader::absent) == "line 1, column 1: 'a' is not a finite number");
}

TEST_CASE("csv: ragged rows name the line and both counts") {
  CHECK(error_of("a,b,c\n1,2,3\n\n4,5\n") == "line 4: 2 fields, expected 3 (as on line 1)");
}

TEST_CASE("csv: bad fields name line and column") {
  CHECK(error_of("1,2\n3,x4\n") == "line 2, column 2: 'x4' is not a finite number");
  CHECK(error_of("1,2\n3,\n") == "line 2, column 2: '' is not a finite number");
  CHECK(error_of("1,2\n3,nan\n") == "line 2, column 2: 'nan' is not a finite number");
  CHECK(error_of("1,2\n3,1e999\n") == "line 2, column 2: '1e999' is not a finite number");
  CHECK(error_of("1,a\n") == "line 1, column 2: 'a' is not a finite number");  // mixed: data
}

TEST_CASE("csv: empty input") {
  CHECK(error_of("") == "no data rows");
  CHECK(error_of("a,b\n# nothing\n") == "no data rows");
}

TEST_CASE("csv: target columns split and class detection") {
  const nnstate_cli::Data d = nnstate_cli::csv_to_data(parse("1,2,0\n3,4,2\n"), 1, "f.csv");
  CHECK(d.samples == 2);
  CHECK(d.features == 2);
  CHECK(d.target_width == 1);
  CHECK(d.class_targets);
  CHECK(d.inputs == nnstate_cli::Floats{1, 2, 3, 4});
  CHECK(d.targets == nnstate_cli::Floats{0, 2});
  CHECK_FALSE(nnstate_cli::csv_to_data(parse("1,2,0.5\n"), 1, "f.csv").class_targets);
  CHECK_FALSE(nnstate_cli::csv_to_data(parse("1,2,0\n"), 2, "f.csv").class_targets);
  CHECK_THROWS_WITH_AS(nnstate_cli::csv_to_data(parse("1,2\n"), 2, "f.csv"),
                       "f.csv: 2 columns leave no input column after 2 target column(s)",
                       std::runtime_error);
}
