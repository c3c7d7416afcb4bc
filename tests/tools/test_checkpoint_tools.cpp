// Unit tests of the helpers behind inspect/dump/diff/plot: JSON text, the cli.history parser
// and the SVG axis ticks.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include "checkpoint_view.h"
#include "json.h"
#include "svg_plot.h"

using namespace nnstate_cli;

TEST_CASE("json_string escapes quotes, control characters and invalid UTF-8") {
  CHECK(json_string("plain") == "\"plain\"");
  CHECK(json_string("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(json_string("l1\nl2\t\r") == "\"l1\\nl2\\t\\r\"");
  CHECK(json_string(std::string("\x01\x7f", 2)) == "\"\\u0001\\u007f\"");
  CHECK(json_string("caf\xc3\xa9") == "\"caf\xc3\xa9\"");             // valid UTF-8 kept
  CHECK(json_string("\xff") == "\"\\u00ff\"");                        // a stray byte escaped
  CHECK(json_string("\xc3") == "\"\\u00c3\"");                        // truncated sequence
  CHECK(json_string("\xed\xa0\x80") == "\"\\u00ed\\u00a0\\u0080\"");  // a surrogate
  CHECK(json_string(std::string("a\0b", 3)) == "\"a\\u0000b\"");
}

TEST_CASE("JSON numbers: non-finite values are null, finite ones read back exactly") {
  CHECK(json_float(std::numeric_limits<float>::quiet_NaN()) == "null");
  CHECK(json_float(std::numeric_limits<float>::infinity()) == "null");
  CHECK(json_double(-std::numeric_limits<double>::infinity()) == "null");
  CHECK(json_double(0.1) == "0.1");
  CHECK(json_double(1e300) == "1e+300");
  CHECK(std::stod(json_double(0.1 + 0.2)) == 0.1 + 0.2);  // needs 17 digits
  const float f = 0.1f + 0.2f;
  CHECK(std::stof(json_float(f)) == f);
  CHECK(json_float(1.5f) == "1.5");
}

TEST_CASE("parse_history_csv reads cli.history rows by column name") {
  const std::vector<HistoryRow> rows = parse_history_csv(
      "epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds\n"
      "1,0.5,0.75,nan,nan,0.001,1.250\n"
      "2,0.25,0.875,0.3,0.8,0.0005,1.000\n",
      "x");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].epoch == 1);
  CHECK(rows[0].loss == 0.5);
  CHECK(std::isnan(rows[0].val_loss));
  CHECK(rows[1].lr == 0.0005);
  CHECK(rows[1].val_accuracy == 0.8);
  // Other column orders and missing columns (NaN) are accepted.
  const std::vector<HistoryRow> other = parse_history_csv("loss,epoch\n0.5,3\n", "x");
  REQUIRE(other.size() == 1);
  CHECK(other[0].epoch == 3);
  CHECK(std::isnan(other[0].lr));
  CHECK(parse_history_csv("", "x").empty());
}

TEST_CASE("parse_history_csv names the line of malformed rows") {
  CHECK_THROWS_WITH_AS(parse_history_csv("a,b\n", "f.nnst: cli.history"),
                       "f.nnst: cli.history: line 1: the header has no 'epoch' and 'loss' columns",
                       std::runtime_error);
  CHECK_THROWS_WITH_AS(parse_history_csv("epoch,loss\n1,0.5\n2,abc\n", "h"),
                       "h: line 3: loss 'abc' is not a number", std::runtime_error);
  CHECK_THROWS_WITH_AS(parse_history_csv("epoch,loss\n1\n", "h"),
                       "h: line 2: 1 fields, no 'loss' column", std::runtime_error);
  CHECK_THROWS_WITH_AS(parse_history_csv("epoch,loss\n-1,0.5\n", "h"),
                       "h: line 2: bad epoch number", std::runtime_error);
}

TEST_CASE("nice_ticks covers the range with 1-2-5 steps") {
  const std::vector<double> t = nice_ticks(0.31, 0.69, 5);
  REQUIRE(t.size() >= 2);
  CHECK(t.front() <= 0.31);
  CHECK(t.back() >= 0.69);
  CHECK(t[1] - t[0] == doctest::Approx(0.1));
  const std::vector<double> e = nice_ticks(1, 30, 8);
  CHECK(e.front() == 0);
  CHECK(e.back() == 30);
  CHECK(e[1] - e[0] == doctest::Approx(5));
}

TEST_CASE("log_ticks encloses the range with powers of ten") {
  const std::vector<double> t = log_ticks(0.00018, 0.02);
  CHECK(t.front() == doctest::Approx(0.0001));
  CHECK(t.back() == doctest::Approx(0.1));
  CHECK(t.size() == 4);
  const std::vector<double> fine = log_ticks(0.003, 0.02);  // short range: 2 and 5 too
  CHECK(fine.front() == doctest::Approx(0.002));
  CHECK(fine.back() == doctest::Approx(0.02));
}

TEST_CASE("render_svg draws one path per series and escapes text") {
  Chart c;
  c.title = "a <b> & \"c\"";
  c.x = {1, 2, 3};
  c.panels.push_back(Panel{"Loss", "loss", false, {Series{"train", "#000", false, {1, NAN, 0.5}}}});
  c.panels.push_back(Panel{"LR", "lr", true, {Series{"lr", "#111", false, {0.1, 0.01, 0.001}}}});
  const std::string svg = render_svg(c);
  CHECK(svg.find("<svg") != std::string::npos);
  CHECK(svg.find("a &lt;b&gt; &amp; &quot;c&quot;") != std::string::npos);
  size_t paths = 0;
  for (size_t at = svg.find("<path class=\"curve\""); at != std::string::npos;
       at = svg.find("<path class=\"curve\"", at + 1)) {
    ++paths;
  }
  CHECK(paths == 2);
  CHECK(svg.find("lr (log scale)") != std::string::npos);
  // The NaN leaves a gap: the first path has two separate moves.
  const size_t first = svg.find("d=\"M");
  const size_t end = svg.find('"', first + 3);
  CHECK(svg.substr(first, end - first).find(" M") != std::string::npos);
}
