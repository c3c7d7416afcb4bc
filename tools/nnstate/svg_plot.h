// Line charts as self-contained SVG (no scripts, fonts or external files), for `nnstate plot`:
// panels stacked vertically sharing the x axis, each with ticks, labels, grid and a legend.
#pragma once

#include <string>
#include <vector>

namespace nnstate_cli {

struct Series {
  std::string label;
  std::string color;  // "#1f77b4"
  bool dashed = false;
  std::vector<double> y;  // one per x; NaN leaves a gap
};

struct Panel {
  std::string title;
  std::string y_label;
  bool log_y = false;  // needs every finite value > 0
  std::vector<Series> series;
};

struct Chart {
  std::string title;
  std::string subtitle;
  std::string x_label;
  std::vector<double> x;
  std::vector<Panel> panels;
};

std::string render_svg(const Chart &chart);

// About `target` "nice" tick values (1, 2 or 5 times a power of ten apart) covering [lo, hi].
std::vector<double> nice_ticks(double lo, double hi, int target);
// Powers of ten covering [lo, hi] (lo > 0), with 2 and 5 between them when the range is short.
std::vector<double> log_ticks(double lo, double hi);
// Characters that XML reserves, escaped.
std::string xml_escape(const std::string &text);

}  // namespace nnstate_cli
