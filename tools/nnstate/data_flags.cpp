#include "data_flags.h"

namespace nnstate_cli {

DataFlags data_flags(const Args &args, const std::string &prefix, bool need_labels) {
  DataFlags f;
  f.images = args.text(prefix + "images");
  f.labels = args.text(prefix + "labels");
  f.csv = args.text(prefix + "csv");
  const std::string p = "--" + prefix;
  if (args.has(prefix + "images") && f.images.empty()) args.fail(p + "images: empty file name");
  if (args.has(prefix + "csv") && f.csv.empty()) args.fail(p + "csv: empty file name");
  if (!f.csv.empty() && (!f.images.empty() || !f.labels.empty())) {
    args.fail("give either " + p + "csv or " + p + "images/" + p + "labels, not both");
  }
  if (!f.labels.empty() && f.images.empty()) args.fail(p + "labels needs " + p + "images");
  if (need_labels && !f.images.empty() && f.labels.empty()) {
    args.fail(p + "images needs " + p + "labels");
  }
  return f;
}

CsvHeader csv_header_flag(const Args &args) {
  const std::string h = args.choice("csv-header", "auto", {"auto", "yes", "no"});
  return h == "yes" ? CsvHeader::present : h == "no" ? CsvHeader::absent : CsvHeader::automatic;
}

Data load_data(const DataFlags &flags, size_t target_columns, CsvHeader header) {
  if (!flags.csv.empty()) return load_csv(flags.csv, target_columns, header);
  return load_idx(flags.images, flags.labels);
}

}  // namespace nnstate_cli
