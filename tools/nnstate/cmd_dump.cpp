// `nnstate dump FILE [--tensors]`: the checkpoint's manifest as one JSON document on stdout.
#include <cstdio>
#include <stdexcept>

#include "args.h"
#include "checkpoint_view.h"
#include "commands.h"
#include "json.h"

namespace nnstate_cli {
namespace {

const CommandSpec kDumpSpec = {
    "dump",
    "FILE [--tensors]",
    "Prints everything the checkpoint FILE holds, as far as the C API exposes it, as one\n"
    "strict JSON document: format and writer versions, creation time, environment, layer\n"
    "count, the network's document (\"model\", the form 'nnstate train --model' takes) and\n"
    "its graph (\"graph\": each node's name, kind, inputs, output shape and parameters),\n"
    "optimizer, user metadata, the training history, every stored field by its full\n"
    "name (\"fields\": scheduler, early stopping, position, RNG streams...; values as exact\n"
    "text, as diff compares them),\n"
    "and every tensor summarised by name, role, dtype, shape, element and byte count and\n"
    "CRC32C (\"0x%08x\", the stored one, which equals its bytes' CRC: the file is verified\n"
    "first). Numbers that JSON cannot hold (NaN, Infinity) are written as null.",
    {
        {"Output",
         {
             {"tensors", nullptr,
              "include every tensor's values (\"values\": a flat row-major\n"
              "array; non-finite values are null)"},
         }},
    },
    "Exit status: 0 done, 1 the file is missing or invalid, 2 usage error.",
    1,
};

class Out {
 public:
  explicit Out(FILE *f) : f_(f) {}
  void raw(const std::string &s) { std::fputs(s.c_str(), f_); }
  // "key": at the given indentation, with the comma that separates it from the previous one.
  void key(int indent, bool first, const char *name) {
    raw(first ? "\n" : ",\n");
    raw(std::string(static_cast<size_t>(indent) * 2, ' ') + json_string(name) + ": ");
  }

 private:
  FILE *f_;
};

void dump_tensor(Out &o, const TensorView &t, bool values) {
  char crc[16];
  std::snprintf(crc, sizeof crc, "0x%08x", t.crc32c);
  o.raw("{\"name\": " + json_string(t.name) + ", \"role\": " + json_string(role_name(t.role)) +
        ", \"dtype\": " + json_string(dtype_name(t.dtype)) + ", \"shape\": " + shape_text(t) +
        ", \"elements\": " + std::to_string(t.count) + ", \"bytes\": " + std::to_string(t.bytes) +
        ", \"crc32c\": " + json_string(crc));
  if (values) {
    o.raw(", \"values\": [");
    for (size_t i = 0; i < t.count; ++i) o.raw((i ? ", " : "") + json_float(t.data[i]));
    o.raw("]");
  }
  o.raw("}");
}

// The graph of the rebuilt network; inputs as in the document (names of named nodes, else
// indices, -1 for the network input).
std::string graph_json(const GraphView &g) {
  std::string text =
      "{\"input_shape\": " + (g.input_shape.empty() ? "null" : dims_text(g.input_shape)) +
      ", \"nodes\": [";
  for (const NodeRow &n : g.nodes) {
    std::string inputs;
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      const NodeInput &in = n.inputs[i];
      inputs +=
          (i ? ", " : "") + (in.name.empty() ? std::to_string(in.index) : json_string(in.name));
    }
    text += std::string(n.index ? "," : "") + "\n    {\"index\": " + std::to_string(n.index) +
            ", \"name\": " + (n.name.empty() ? "null" : json_string(n.name)) +
            ", \"kind\": " + json_string(n.kind) + ", \"inputs\": [" + inputs +
            "], \"output_shape\": " + (n.shape_known ? dims_text(n.output_shape) : "null") +
            ", \"parameters\": " + std::to_string(n.parameters) + "}";
  }
  return text + (g.nodes.empty() ? "]}" : "\n  ]}");
}

}  // namespace

int cmd_dump(int argc, char **argv) {
  const Args args = Args::parse(kDumpSpec, argc, argv);
  if (args.help()) {
    print_help(kDumpSpec, stdout);
    return kExitOk;
  }
  if (args.positionals().empty()) args.fail("missing the checkpoint FILE");
  const CheckpointView v = open_checkpoint_view(args.positionals()[0], true);
  const History history = checkpoint_history(v);

  Out o(stdout);
  o.raw("{");
  o.key(1, true, "file");
  o.raw(json_string(v.path));
  o.key(1, false, "file_bytes");
  o.raw(std::to_string(v.file_bytes));
  o.key(1, false, "format");
  o.raw("{\"major\": " + std::to_string(v.format.major) +
        ", \"minor\": " + std::to_string(v.format.minor) + "}");
  o.key(1, false, "writer_version");
  o.raw(json_string(v.writer_version));
  o.key(1, false, "created_unix_ns");
  o.raw(std::to_string(v.created_ns));
  o.key(1, false, "created");
  o.raw(json_string(format_time_utc(v.created_ns)));
  o.key(1, false, "environment");
  o.raw("{\"blas_core_type\": " + json_string(v.environment.blas_core_type) +
        ", \"blas_threads\": " + std::to_string(v.environment.blas_threads) + "}");
  o.key(1, false, "architecture");
  o.raw("{\"layer_count\": " + std::to_string(v.layer_count));
  if (v.rebuilt) {
    o.raw(", \"input_size\": " + std::to_string(v.input_size) +
          ", \"output_size\": " + std::to_string(v.output_size));
  }
  o.raw(", \"parameter_count\": " + std::to_string(v.elements_of_role(NNSTATE_ROLE_PARAMETER)) +
        "}");
  o.key(1, false, "model");
  o.raw(about_file(v.path, [&] { return v.checkpoint.network_json(); }));
  o.key(1, false, "graph");
  o.raw(v.rebuilt ? graph_json(v.graph) : "null");
  o.key(1, false, "optimizer");
  o.raw("{\"kind\": " + json_string(optimizer_name(v.optimizer.kind)) +
        ", \"step\": " + std::to_string(v.optimizer.step));
  if (v.has_lr) o.raw(", \"lr\": " + json_double(v.lr));
  o.raw("}");
  o.key(1, false, "metadata");
  o.raw("{");
  for (size_t i = 0; i < v.metadata.size(); ++i) {
    o.raw(std::string(i ? ",\n" : "\n") + "    " + json_string(v.metadata[i].first) + ": " +
          json_string(v.metadata[i].second));
  }
  o.raw(v.metadata.empty() ? "}" : "\n  }");
  o.key(1, false, "history");
  o.raw("{\"source\": " + (history.source.empty() ? "null" : json_string(history.source)) +
        ", \"epochs\": [");
  for (size_t i = 0; i < history.rows.size(); ++i) {
    const HistoryRow &r = history.rows[i];
    o.raw(std::string(i ? "," : "") + "\n    {\"epoch\": " + std::to_string(r.epoch) +
          ", \"loss\": " + json_double(r.loss) + ", \"accuracy\": " + json_double(r.accuracy) +
          ", \"val_loss\": " + json_double(r.val_loss) +
          ", \"val_accuracy\": " + json_double(r.val_accuracy) + ", \"lr\": " + json_double(r.lr) +
          ", \"seconds\": " + json_double(r.seconds) + "}");
  }
  o.raw(history.rows.empty() ? "]}" : "\n  ]}");
  // Every stored value by its full name, as text that reads back exactly (what diff compares).
  o.key(1, false, "fields");
  o.raw("{");
  for (size_t i = 0; i < v.fields.size(); ++i) {
    o.raw(std::string(i ? ",\n" : "\n") + "    " + json_string(v.fields[i].name) + ": " +
          json_string(v.fields[i].value));
  }
  o.raw(v.fields.empty() ? "}" : "\n  }");
  o.key(1, false, "tensors");
  o.raw("[");
  for (size_t i = 0; i < v.tensors.size(); ++i) {
    o.raw(i ? ",\n    " : "\n    ");
    dump_tensor(o, v.tensors[i], args.flag("tensors"));
  }
  o.raw(v.tensors.empty() ? "]" : "\n  ]");
  o.raw("\n}\n");
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    throw std::runtime_error("dump: cannot write the output");
  }
  return kExitOk;
}

}  // namespace nnstate_cli
