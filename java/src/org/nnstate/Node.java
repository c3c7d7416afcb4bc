package org.nnstate;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A node description for nnstate_network_add_node, written as its JSON: the kind (PyTorch's
 * class name), an optional module name, the inputs (earlier nodes by index, -1 the network
 * input, or by name) and PyTorch's constructor arguments. Values are numbers, booleans,
 * strings, null, or int arrays such as a kernel's [h, w]. The library checks everything.
 * <pre>
 *   net.addNode(Node.of("Conv2d").name("layer1.0.conv1").inputs(-1)
 *       .arg("in_channels", 8).arg("out_channels", 8).arg("kernel_size", 3)
 *       .arg("padding", "same").arg("bias", false));
 * </pre>
 */
public final class Node {
  private final String kind;
  private String name;
  private final List<Object> inputs = new ArrayList<>();
  private final Map<String, Object> args = new LinkedHashMap<>();

  private Node(String kind) {
    this.kind = kind;
  }

  public static Node of(String kind) {
    Buffers.notNull(kind, "kind");
    return new Node(kind);
  }

  public static Node of(LayerKind kind) {
    return new Node(kind.pytorchName);
  }

  /** The module name: prefixes the node's tensor names ("layer1.0.conv1.weight"). */
  public Node name(String name) {
    this.name = name;
    return this;
  }

  /** Inputs: Integer/Long indices (-1: the network input) or String names of earlier nodes. */
  public Node inputs(Object... inputs) {
    for (Object input : inputs) {
      if (!(input instanceof Integer || input instanceof Long || input instanceof String)) {
        throw Status.invalid("a node input is an index or a name, not " + input);
      }
      this.inputs.add(input);
    }
    return this;
  }

  public Node arg(String key, Object value) {
    Buffers.notNull(key, "argument name");
    args.put(key, value);
    return this;
  }

  public String toJson() {
    StringBuilder out = new StringBuilder("{\"kind\": ");
    value(out, kind);
    if (name != null) {
      out.append(", \"name\": ");
      value(out, name);
    }
    if (!inputs.isEmpty()) {
      out.append(", \"inputs\": ");
      value(out, inputs);
    }
    for (Map.Entry<String, Object> e : args.entrySet()) {
      out.append(", ");
      value(out, e.getKey());
      out.append(": ");
      value(out, e.getValue());
    }
    return out.append('}').toString();
  }

  @Override
  public String toString() {
    return toJson();
  }

  private static void value(StringBuilder out, Object v) {
    if (v == null) {
      out.append("null");
    } else if (v instanceof String) {
      string(out, (String) v);
    } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long) {
      out.append(v);
    } else if (v instanceof Float || v instanceof Double) {
      double d = ((Number) v).doubleValue();
      if (!Double.isFinite(d)) {
        throw Status.invalid("a node argument is not finite: " + d);
      }
      out.append(v instanceof Float ? Float.toString((Float) v) : Double.toString(d));
    } else if (v instanceof int[] || v instanceof long[]) {
      long[] values = v instanceof int[]
          ? java.util.Arrays.stream((int[]) v).asLongStream().toArray() : (long[]) v;
      List<Object> list = new ArrayList<>();
      for (long x : values) {
        list.add(x);
      }
      value(out, list);
    } else if (v instanceof List) {
      out.append('[');
      String sep = "";
      for (Object item : (List<?>) v) {
        out.append(sep);
        value(out, item);
        sep = ", ";
      }
      out.append(']');
    } else {
      throw Status.invalid("a node argument cannot be a " + v.getClass().getSimpleName());
    }
  }

  private static void string(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); ++i) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    out.append('"');
  }
}
