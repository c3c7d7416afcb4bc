#include "svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace nnstate_cli {
namespace {

constexpr double kWidth = 900;
constexpr double kLeft = 80;         // room for y tick labels and the axis label
constexpr double kRight = 190;       // room for the legend
constexpr double kTop = 70;          // the chart's title and subtitle
constexpr double kPanel = 220;       // height of one panel's plotting area
constexpr double kGap = 80;          // below a panel: x tick labels, axis label, next title
constexpr size_t kMarkersUpTo = 60;  // points are marked on short runs only

std::string num(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", v);
  return text;
}

std::string tick_label(double v) {
  if (std::fabs(v) < 1e-12) return "0";
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

// Maps data values to pixels on one axis.
struct Scale {
  double lo, hi;    // domain
  double from, to;  // pixels
  bool log = false;
  double operator()(double v) const {
    const double a = log ? std::log10(lo) : lo, b = log ? std::log10(hi) : hi;
    const double t = ((log ? std::log10(v) : v) - a) / (b - a);
    return from + t * (to - from);
  }
};

struct Svg {
  std::string out;
  void line(double x1, double y1, double x2, double y2, const std::string &style) {
    out += "<line x1=\"" + num(x1) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x2) + "\" y2=\"" +
           num(y2) + "\" " + style + "/>\n";
  }
  void text(double x, double y, const std::string &s, const std::string &attrs) {
    out += "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" " + attrs + ">" + xml_escape(s) +
           "</text>\n";
  }
};

bool usable(double v, bool log) {
  return std::isfinite(v) && (!log || v > 0);
}

void draw_panel(Svg &svg, const Chart &chart, const Panel &panel, double top) {
  const double left = kLeft, right = kWidth - kRight, bottom = top + kPanel;
  double lo = INFINITY, hi = -INFINITY;
  for (const Series &s : panel.series) {
    for (double v : s.y) {
      if (usable(v, panel.log_y)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
  }
  if (!(lo <= hi)) lo = panel.log_y ? 0.1 : 0, hi = 1;  // nothing to draw: an empty frame
  std::vector<double> yt;
  if (panel.log_y) {
    yt = log_ticks(lo, hi);
  } else {
    if (hi - lo < 1e-12 * std::max(1.0, std::fabs(hi))) {  // a constant: centre it
      const double pad = std::fabs(lo) > 0 ? std::fabs(lo) * 0.1 : 1;
      lo -= pad, hi += pad;
    }
    yt = nice_ticks(lo, hi, 5);
  }
  const Scale ys{yt.front(), yt.back(), bottom, top, panel.log_y};

  double x_lo = chart.x.empty() ? 0 : chart.x.front(), x_hi = x_lo;
  for (double x : chart.x) x_lo = std::min(x_lo, x), x_hi = std::max(x_hi, x);
  if (x_hi - x_lo < 1) x_lo -= 1, x_hi += 1;
  std::vector<double> xt = nice_ticks(x_lo, x_hi, 8);
  if (xt.size() > 1 && xt[1] - xt[0] < 1) {  // epochs are whole numbers
    xt.clear();
    for (double x = std::floor(x_lo); x <= std::ceil(x_hi); ++x) xt.push_back(x);
  }
  const Scale xs{xt.front(), xt.back(), left, right, false};

  svg.text(left, top - 12, panel.title, "font-size=\"15\" font-weight=\"bold\"");
  for (double t : yt) {
    const double y = ys(t);
    svg.line(left, y, right, y, "stroke=\"#e4e4e4\"");
    svg.line(left - 5, y, left, y, "stroke=\"#333\"");
    svg.text(left - 8, y + 4, tick_label(t), "text-anchor=\"end\"");
  }
  for (double t : xt) {
    const double x = xs(t);
    svg.line(x, top, x, bottom, "stroke=\"#f0f0f0\"");
    svg.line(x, bottom, x, bottom + 5, "stroke=\"#333\"");
    svg.text(x, bottom + 19, tick_label(t), "text-anchor=\"middle\"");
  }
  svg.line(left, top, left, bottom, "stroke=\"#333\"");
  svg.line(left, bottom, right, bottom, "stroke=\"#333\"");
  svg.text(left + (right - left) / 2, bottom + 38, chart.x_label, "text-anchor=\"middle\"");
  const double label_x = 16, label_y = top + kPanel / 2;
  svg.text(
      label_x, label_y, panel.y_label + (panel.log_y ? " (log scale)" : ""),
      "text-anchor=\"middle\" transform=\"rotate(-90 " + num(label_x) + " " + num(label_y) + ")\"");

  double legend_y = top + 10;
  for (const Series &s : panel.series) {
    const std::string stroke = "stroke=\"" + s.color + "\" stroke-width=\"2\"" +
                               (s.dashed ? " stroke-dasharray=\"6 4\"" : "");
    std::string d, markers;
    bool pen_down = false;
    for (size_t i = 0; i < s.y.size() && i < chart.x.size(); ++i) {
      if (!usable(s.y[i], panel.log_y)) {
        pen_down = false;  // a gap where the value does not exist
        continue;
      }
      const double x = xs(chart.x[i]), y = ys(s.y[i]);
      d += (pen_down ? " L" : (d.empty() ? "M" : " M")) + num(x) + " " + num(y);
      pen_down = true;
      if (chart.x.size() <= kMarkersUpTo) {
        markers += "<circle cx=\"" + num(x) + "\" cy=\"" + num(y) + "\" r=\"2.5\" fill=\"" +
                   s.color + "\"/>\n";
      }
    }
    svg.out += "<path class=\"curve\" data-label=\"" + xml_escape(s.label) + "\" d=\"" +
               (d.empty() ? "M0 0" : d) + "\" fill=\"none\" " + stroke +
               " stroke-linejoin=\"round\"/>\n" + markers;
    svg.line(right + 18, legend_y, right + 48, legend_y, stroke);
    svg.text(right + 56, legend_y + 4, s.label + (d.empty() ? " (no values)" : ""), "");
    legend_y += 20;
  }
}

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!(hi > lo)) hi = lo + 1;
  const double raw = (hi - lo) / std::max(1, target);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  const double fraction = raw / power;
  const double step = (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
  const double first = std::floor(lo / step + 1e-9), last = std::ceil(hi / step - 1e-9);
  std::vector<double> ticks;
  for (double k = first; k <= last; ++k) ticks.push_back(k * step);
  return ticks;
}

std::vector<double> log_ticks(double lo, double hi) {
  const int d_lo = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
  const int d_hi = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
  const bool fine = d_hi - d_lo <= 2;
  std::vector<double> all;
  for (int d = d_lo; d <= std::max(d_hi, d_lo + 1); ++d) {
    const double p = std::pow(10.0, d);
    all.push_back(p);
    if (fine && d < std::max(d_hi, d_lo + 1)) all.push_back(2 * p), all.push_back(5 * p);
  }
  // Keep the ticks that enclose [lo, hi] tightly.
  size_t a = 0, b = all.size() - 1;
  while (a + 1 < all.size() && all[a + 1] <= lo * (1 + 1e-9)) ++a;
  while (b > a + 1 && all[b - 1] >= hi * (1 - 1e-9)) --b;
  return std::vector<double>(all.begin() + static_cast<std::ptrdiff_t>(a),
                             all.begin() + static_cast<std::ptrdiff_t>(b) + 1);
}

std::string xml_escape(const std::string &text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        // XML 1.0 forbids most control characters, even escaped.
        out += (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') ? '?' : c;
    }
  }
  return out;
}

std::string render_svg(const Chart &chart) {
  const double height = kTop + static_cast<double>(chart.panels.size()) * (kPanel + kGap) + 10;
  Svg svg;
  svg.out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
      num(kWidth) + "\" height=\"" + num(height) + "\" viewBox=\"0 0 " + num(kWidth) + " " +
      num(height) +
      "\" font-family=\"sans-serif\" font-size=\"12\" fill=\"#222\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg.text(kLeft, 28, chart.title, "font-size=\"18\" font-weight=\"bold\"");
  svg.text(kLeft, 48, chart.subtitle, "font-size=\"12\" fill=\"#666\"");
  double top = kTop + 20;
  for (const Panel &p : chart.panels) {
    draw_panel(svg, chart, p, top);
    top += kPanel + kGap;
  }
  svg.out += "</svg>\n";
  return svg.out;
}

}  // namespace nnstate_cli
