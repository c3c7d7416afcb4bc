#include "interop/safetensors.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "train/network_json.h"
#include "train/network_tensors.h"
#include "util/error.h"

// The format is little-endian; tensors are written from and read into memory as they are.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors I/O assumes little-endian");

namespace nnstate::interop {
namespace {

using Json = nlohmann::json;

struct Dtype {
  const char *name;
  size_t size;
  bool readable;  // converts to float32
};

// Every dtype of the format; only some convert to float32, the others are refused when loaded.
constexpr Dtype kDtypes[] = {
    {"F32", 4, true},      {"F16", 2, true},      {"BF16", 2, true}, {"F64", 8, true},
    {"I64", 8, true},      {"BOOL", 1, false},    {"U8", 1, false},  {"I8", 1, false},
    {"F8_E5M2", 1, false}, {"F8_E4M3", 1, false}, {"I16", 2, false}, {"U16", 2, false},
    {"I32", 4, false},     {"U32", 4, false},     {"U64", 8, false},
};

const Dtype *find_dtype(const std::string &name) {
  for (const Dtype &d : kDtypes) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

[[noreturn]] void corrupt(const std::string &file, const std::string &what) {
  fail(NNSTATE_ERR_CORRUPT, describe_safetensors(file) + ": " + what);
}

std::string quoted(const std::string &text) {
  return Json(text).dump();
}

// Refuses, while the parser reads: duplicate keys (nlohmann would keep the last one silently),
// nesting deeper than a header has (root, tensor object, shape list), and lists longer than a
// shape can be, so that the parsed document stays a small multiple of the header's bytes.
class HeaderStructureCheck {
 public:
  explicit HeaderStructureCheck(const std::string &file) : file_(file) {}
  bool operator()(int, Json::parse_event_t event, Json &parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        element_started();
        if (open_.size() >= 3) corrupt(file_, where() + "nested deeper than 3 levels");
        open_.push_back(Open{event == Json::parse_event_t::array_start, 0, {}});
        break;
      case Json::parse_event_t::object_end:
      case Json::parse_event_t::array_end:
        if (!open_.empty()) open_.pop_back();
        break;
      case Json::parse_event_t::key:
        if (open_.size() == 1) tensor_ = parsed.get<std::string>();
        if (!open_.empty() && !open_.back().keys.insert(parsed.get<std::string>()).second) {
          corrupt(file_, where() + "duplicate key " + parsed.dump());
        }
        break;
      case Json::parse_event_t::value:
        element_started();
        break;
    }
    return true;
  }

 private:
  struct Open {
    bool array;
    size_t elements;
    std::set<std::string> keys;
  };

  void element_started() {
    if (open_.empty() || !open_.back().array) return;
    if (++open_.back().elements > kMaxSafetensorsRank) {
      corrupt(file_, where() + "a list of more than " + std::to_string(kMaxSafetensorsRank) +
                         " values (a shape has at most " + std::to_string(kMaxSafetensorsRank) +
                         " dimensions)");
    }
  }

  // "tensor \"0.weight\": " inside a tensor's entry, "__metadata__: " inside the metadata,
  // else "header: ".
  std::string where() const {
    if (open_.size() < 2) return "header: ";
    return tensor_ == "__metadata__" ? "__metadata__: " : "tensor " + quoted(tensor_) + ": ";
  }

  const std::string &file_;
  std::vector<Open> open_;
  std::string tensor_;  // the last key of the root object
};

std::string kind_of(const Json &value) {
  switch (value.type()) {
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "a list";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::null:
      return "null";
    default:
      return value.dump();
  }
}

// A non-negative integer of the header (nlohmann reads those as unsigned).
bool read_unsigned(const Json &value, uint64_t &out) {
  if (!value.is_number_unsigned()) return false;
  out = value.get<uint64_t>();
  return true;
}

SafetensorsEntry read_entry(const std::string &file, const std::string &name, const Json &value) {
  const std::string where = "tensor " + quoted(name);
  if (name.empty()) corrupt(file, "a tensor has an empty name");
  if (!value.is_object()) corrupt(file, where + ": expected an object, got " + kind_of(value));
  for (const auto &field : value.items()) {
    if (field.key() != "dtype" && field.key() != "shape" && field.key() != "data_offsets") {
      corrupt(file, where + ": unknown field " + quoted(field.key()) +
                        " (expected dtype, shape, data_offsets)");
    }
  }
  for (const char *required : {"dtype", "shape", "data_offsets"}) {
    if (!value.contains(required)) corrupt(file, where + ": field \"" + required + "\" is missing");
  }
  SafetensorsEntry e;
  e.name = name;
  const Json &dtype = value["dtype"];
  const Dtype *d = dtype.is_string() ? find_dtype(dtype.get<std::string>()) : nullptr;
  if (!d) corrupt(file, where + ": unknown dtype " + dtype.dump());
  e.dtype = d->name;
  e.element_size = d->size;

  const Json &shape = value["shape"];
  if (!shape.is_array()) corrupt(file, where + ": shape is " + kind_of(shape) + ", not a list");
  // (At most kMaxSafetensorsRank dimensions: longer lists were refused while parsing.)
  // The byte length the shape implies, overflow-checked against the 64-bit offsets.
  uint64_t bytes = d->size;
  for (size_t i = 0; i < shape.size(); ++i) {
    uint64_t dim = 0;
    if (!read_unsigned(shape[i], dim) ||
        dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      corrupt(file, where + ": shape[" + std::to_string(i) + "] is " + shape[i].dump() +
                        ", not a non-negative integer");
    }
    if (dim != 0 && bytes > std::numeric_limits<uint64_t>::max() / dim) {
      corrupt(file,
              where + ": shape " + shape.dump() + " of " + e.dtype + " overflows 64 bits of bytes");
    }
    bytes *= dim;
    e.shape.push_back(static_cast<int64_t>(dim));
  }

  const Json &offsets = value["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2 || !read_unsigned(offsets[0], e.begin) ||
      !read_unsigned(offsets[1], e.end)) {
    corrupt(file, where + ": data_offsets is " + offsets.dump() +
                      ", not two non-negative integers [begin, end]");
  }
  if (e.end < e.begin) {
    corrupt(file, where + ": data_offsets " + offsets.dump() + " end before they begin");
  }
  if (e.end - e.begin != bytes) {
    corrupt(file, where + ": shape " + shape.dump() + " of " + e.dtype + " is " +
                      std::to_string(bytes) + " bytes, data_offsets " + offsets.dump() + " hold " +
                      std::to_string(e.end - e.begin));
  }
  return e;
}

void read_metadata(const std::string &file, const Json &value, SafetensorsHeader &header) {
  if (!value.is_object()) corrupt(file, "__metadata__ is " + kind_of(value) + ", not an object");
  for (const auto &item : value.items()) {
    if (!item.value().is_string()) {
      corrupt(file, "__metadata__ " + quoted(item.key()) + " is " + kind_of(item.value()) +
                        ", not a string");
    }
    header.metadata.emplace_back(item.key(), item.value().get<std::string>());
  }
}

// The tensors must tile the data area exactly: sorted by offset, each begins where the one
// before ends (no overlap, no hole), the first at 0 and the last at the end of the file.
void check_layout(SafetensorsHeader &h) {
  std::stable_sort(h.tensors.begin(), h.tensors.end(),
                   [](const SafetensorsEntry &a, const SafetensorsEntry &b) {
                     return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
                   });
  uint64_t expected = 0;
  const SafetensorsEntry *previous = nullptr;
  for (const SafetensorsEntry &e : h.tensors) {
    const std::string range = "[" + std::to_string(e.begin) + ", " + std::to_string(e.end) + ")";
    if (e.end > h.data_length) {
      corrupt(h.file, "tensor " + quoted(e.name) + ": data_offsets " + range +
                          " go past the data area's " + std::to_string(h.data_length) + " bytes");
    }
    if (e.begin < expected) {
      corrupt(h.file, "tensor " + quoted(e.name) + ": data_offsets " + range + " overlap " +
                          quoted(previous->name) + "'s, which end at " + std::to_string(expected));
    }
    if (e.begin > expected) {
      corrupt(h.file, "tensor " + quoted(e.name) + ": data_offsets " + range + " leave a hole of " +
                          std::to_string(e.begin - expected) + " bytes before them");
    }
    expected = e.end;
    previous = &e;
  }
  if (expected != h.data_length) {
    corrupt(h.file, "the tensors cover " + std::to_string(expected) +
                        " bytes of the data area, which holds " + std::to_string(h.data_length));
  }
}

// IEEE half to float, subnormals, infinities and NaN included.
float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  const uint32_t mantissa = h & 0x3ffu;
  float magnitude;
  if (exponent == 0) {
    magnitude = std::ldexp(static_cast<float>(mantissa), -24);
  } else if (exponent == 31) {
    magnitude =
        mantissa ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  } else {
    magnitude = std::ldexp(static_cast<float>(mantissa | 0x400u), static_cast<int>(exponent) - 25);
  }
  uint32_t bits;
  std::memcpy(&bits, &magnitude, 4);
  bits |= sign;
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

float bf16_to_float(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

// A double outside float's range becomes an infinity (a plain cast would be undefined).
float double_to_float(double d) {
  if (std::isfinite(d) && std::fabs(d) > FLT_MAX) {
    return d > 0 ? std::numeric_limits<float>::infinity() : -std::numeric_limits<float>::infinity();
  }
  return static_cast<float>(d);
}

void convert(const std::string &dtype, const unsigned char *in, size_t count, float *out) {
  for (size_t i = 0; i < count; ++i) {
    if (dtype == "F16" || dtype == "BF16") {
      uint16_t v;
      std::memcpy(&v, in + 2 * i, 2);
      out[i] = dtype == "F16" ? half_to_float(v) : bf16_to_float(v);
    } else if (dtype == "F64") {
      double v;
      std::memcpy(&v, in + 8 * i, 8);
      out[i] = double_to_float(v);
    } else {  // I64
      int64_t v;
      std::memcpy(&v, in + 8 * i, 8);
      out[i] = static_cast<float>(v);
    }
  }
}

bool is_counter(const TensorRef &t) {
  const std::string suffix = "num_batches_tracked";
  return !t.is_parameter() && t.value->shape().rank == 0 && t.name.size() >= suffix.size() &&
         t.name.compare(t.name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

bool SafetensorsEntry::readable() const {
  const Dtype *d = find_dtype(dtype);
  return d && d->readable;
}

const SafetensorsEntry *SafetensorsHeader::find(const std::string &name) const {
  for (const SafetensorsEntry &e : tensors) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

const std::string *SafetensorsHeader::metadata_value(const std::string &key) const {
  for (const auto &kv : metadata) {
    if (kv.first == key) return &kv.second;
  }
  return nullptr;
}

std::string describe_safetensors(const std::string &file) {
  return "safetensors file \"" + file + "\"";
}

SafetensorsHeader read_safetensors_header(const checkpoint::Source &source) {
  SafetensorsHeader h;
  h.file = source.label();
  const uint64_t size = source.size();
  if (size < 8) {
    corrupt(h.file, "the file is " + std::to_string(size) +
                        " bytes, shorter than the 8-byte header length");
  }
  unsigned char prefix[8];
  source.read(0, prefix, 8);
  uint64_t length = 0;
  for (int i = 7; i >= 0; --i) length = (length << 8) | prefix[i];
  if (length > kMaxSafetensorsHeaderBytes) {
    corrupt(h.file, "header length " + std::to_string(length) + " exceeds the limit of " +
                        std::to_string(kMaxSafetensorsHeaderBytes) + " bytes");
  }
  if (length > size - 8) {
    corrupt(h.file, "header length " + std::to_string(length) + " exceeds the " +
                        std::to_string(size - 8) + " bytes after the length");
  }
  std::string text(static_cast<size_t>(length), '\0');
  if (length > 0) source.read(8, &text[0], text.size());
  h.data_start = 8 + length;
  h.data_length = size - h.data_start;

  if (text.empty() || text[0] != '{') {
    corrupt(h.file, "header: not a JSON object (it must start with '{')");
  }
  Json root;
  HeaderStructureCheck check(h.file);
  try {
    root = Json::parse(text, std::ref(check));
  } catch (const Json::exception &e) {
    corrupt(h.file, std::string("header: invalid JSON: ") + e.what());
  }
  if (!root.is_object()) corrupt(h.file, "header: not a JSON object");
  for (const auto &item : root.items()) {
    if (item.key() == "__metadata__") {
      read_metadata(h.file, item.value(), h);
    } else {
      h.tensors.push_back(read_entry(h.file, item.key(), item.value()));
    }
  }
  check_layout(h);
  return h;
}

void read_safetensors_tensor(const checkpoint::Source &source, const SafetensorsHeader &header,
                             const SafetensorsEntry &entry, float *destination) {
  if (!entry.readable()) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, describe_safetensors(header.file) + ": tensor " +
                                           quoted(entry.name) + " is " + entry.dtype +
                                           ", which does not convert to float32");
  }
  const uint64_t offset = header.data_start + entry.begin;
  const uint64_t bytes = entry.end - entry.begin;
  if (entry.dtype == "F32") {
    if (bytes > 0) source.read(offset, destination, static_cast<size_t>(bytes));
    return;
  }
  // Converted in chunks: no buffer sized from the file.
  constexpr size_t kChunkElements = 8192;
  unsigned char chunk[kChunkElements * 8];
  const uint64_t count = bytes / entry.element_size;
  for (uint64_t done = 0; done < count;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kChunkElements, count - done));
    source.read(offset + done * entry.element_size, chunk, n * entry.element_size);
    convert(entry.dtype, chunk, n, destination + done);
    done += n;
  }
}

void write_safetensors(Graph &network, checkpoint::Sink &sink, const Metadata &metadata) {
  const std::vector<TensorRef> tensors = network_tensors(network);
  nlohmann::ordered_json header;
  header["__metadata__"] = {{"format", "pt"},
                            {kArchitectureKey, network_json(network)},
                            {kVersionKey, NNSTATE_VERSION_STRING}};
  for (const auto &kv : metadata) {
    if (kv.first.empty() || kv.first == "format" || kv.first.rfind("nnstate.", 0) == 0 ||
        header["__metadata__"].contains(kv.first)) {
      fail(NNSTATE_ERR_INVALID_ARGUMENT,
           "safetensors metadata key " + quoted(kv.first) +
               " is empty, repeated or reserved (\"format\" and \"nnstate.*\" are the library's)");
    }
    header["__metadata__"][kv.first] = kv.second;
  }
  uint64_t offset = 0;
  for (const TensorRef &t : tensors) {
    const bool counter = is_counter(t);
    const uint64_t bytes = static_cast<uint64_t>(t.value->numel()) * (counter ? 8 : 4);
    std::vector<int64_t> dims(t.value->shape().dims, t.value->shape().dims + t.value->shape().rank);
    header[t.name] = {{"dtype", counter ? "I64" : "F32"},
                      {"shape", dims},
                      {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  // Padded with spaces so that the data area starts 8-aligned, as the reference writer does.
  text.append((8 - text.size() % 8) % 8, ' ');
  unsigned char prefix[8];
  for (int i = 0; i < 8; ++i) prefix[i] = static_cast<unsigned char>(text.size() >> (8 * i));
  sink.write(prefix, 8);
  sink.write(text.data(), text.size());
  for (const TensorRef &t : tensors) {
    if (is_counter(t)) {
      const int64_t count = static_cast<int64_t>(std::llround((*t.value)[0]));
      sink.write(&count, 8);
    } else {
      sink.write(t.value->data(), t.value->byte_size());
    }
  }
}

void save_safetensors(Graph &network, const std::string &path, bool sync,
                      const Metadata &metadata) {
  checkpoint::FileSink sink(path, sync);
  write_safetensors(network, sink, metadata);
  sink.commit();
}

}  // namespace nnstate::interop
