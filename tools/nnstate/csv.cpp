#include "csv.h"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace nnstate_cli {
namespace {

struct Field {
  const char *begin, *end;
};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

Field trim(const char *b, const char *e) {
  while (b < e && is_space(*b)) ++b;
  while (e > b && is_space(e[-1])) --e;
  return {b, e};
}

void split(const char *b, const char *e, std::vector<Field> &fields) {
  fields.clear();
  for (const char *p = b;; ++p) {
    if (p == e || *p == ',') {
      fields.push_back(trim(b, p));
      if (p == e) return;
      b = p + 1;
    }
  }
}

// Strict: the whole field must be a finite number ("+" allowed, as strtod does).
bool parse_number(Field f, float &out) {
  const char *b = f.begin;
  if (b < f.end && *b == '+') ++b;
  if (b == f.end) return false;
  const auto result = std::from_chars(b, f.end, out);
  return result.ec == std::errc() && result.ptr == f.end && std::isfinite(out);
}

std::string quoted(Field f) {
  std::string s(f.begin, f.end);
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return "'" + s + "'";
}

}  // namespace

CsvTable parse_csv(const char *text, size_t size, CsvHeader header) {
  CsvTable table;
  std::vector<Field> fields;
  size_t line = 0, first_line = 0;
  bool first = true;
  const char *end = text + size;
  for (const char *p = text; p < end;) {
    const char *eol = p;
    while (eol < end && *eol != '\n') ++eol;
    ++line;
    const Field whole = trim(p, eol);
    p = eol < end ? eol + 1 : eol;
    if (whole.begin == whole.end || *whole.begin == '#') continue;
    split(whole.begin, whole.end, fields);
    if (first) {
      first = false;
      first_line = line;
      table.cols = fields.size();
      bool is_header = header == CsvHeader::present;
      if (header == CsvHeader::automatic) {
        is_header = true;
        float ignored;
        for (const Field &f : fields) is_header = is_header && !parse_number(f, ignored);
      }
      if (is_header) {
        for (const Field &f : fields) table.header.emplace_back(f.begin, f.end);
        continue;
      }
    }
    if (fields.size() != table.cols) {
      throw std::runtime_error("line " + std::to_string(line) + ": " +
                               std::to_string(fields.size()) + " fields, expected " +
                               std::to_string(table.cols) + " (as on line " +
                               std::to_string(first_line) + ")");
    }
    for (size_t c = 0; c < fields.size(); ++c) {
      float v;
      if (!parse_number(fields[c], v)) {
        throw std::runtime_error("line " + std::to_string(line) + ", column " +
                                 std::to_string(c + 1) + ": " + quoted(fields[c]) +
                                 " is not a finite number");
      }
      table.values.push_back(v);
    }
    table.rows++;
  }
  if (table.rows == 0) throw std::runtime_error("no data rows");
  return table;
}

}  // namespace nnstate_cli
