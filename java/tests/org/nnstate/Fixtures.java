package org.nnstate;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Shared data and helpers of the Java tests; paths come from system properties set by ctest. */
final class Fixtures {
  private Fixtures() {}

  static final int SAMPLES = 24;

  /** 24 samples of 3 features and their class (0 or 1), as python/tests/test_lifetime.py. */
  static float[] xs() {
    float[] x = new float[SAMPLES * 3];
    for (int i = 0; i < SAMPLES; ++i) {
      x[3 * i] = i % 3;
      x[3 * i + 1] = (float) ((i % 5) / 5.0); // as Python's float(i % 5) / 5 into float32
      x[3 * i + 2] = i % 2;
    }
    return x;
  }

  static float[] ys() {
    float[] y = new float[SAMPLES];
    for (int i = 0; i < SAMPLES; ++i) {
      y[i] = i % 2;
    }
    return y;
  }

  /** Linear(3, 8), ReLU, Linear(8, 2) with cross-entropy and Adam(lr 0.02). */
  static Network classifier(long seed) {
    return new Network(seed).addLinear(3, 8).addRelu().addLinear(8, 2)
        .setLoss(Loss.CROSS_ENTROPY).setOptimizer(OptimizerOptions.adam().lr(0.02));
  }

  static FloatBuffer direct(float[] values) {
    FloatBuffer b = ByteBuffer.allocateDirect(4 * values.length).order(ByteOrder.nativeOrder())
        .asFloatBuffer();
    b.put(values).flip();
    return b;
  }

  static Path tempDir() throws IOException {
    Path base = Path.of(System.getProperty("nnstate.test.work", System.getProperty(
        "java.io.tmpdir")));
    Files.createDirectories(base);
    return Files.createTempDirectory(base, "java-test-");
  }

  static void delete(Path dir) throws IOException {
    if (Files.exists(dir)) {
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
      }
    }
  }

  static String property(String name) {
    String value = System.getProperty(name);
    if (value == null) {
      throw new AssertionError("system property " + name + " is not set (ctest sets it)");
    }
    return value;
  }

  /** Runs a program; returns its exit status, with its output in `output` (may be null). */
  static int run(List<String> command, StringBuilder output, Path directory)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    if (directory != null) {
      pb.directory(directory.toFile());
    }
    Process p = pb.start();
    String text = new String(p.getInputStream().readAllBytes());
    int status = p.waitFor();
    if (output != null) {
      output.append(text);
    }
    return status;
  }

  /** The command starting a child JVM with this JVM's class path and library settings. */
  static List<String> javaCommand(String mainClass) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String key : new String[] {"jna.library.path", "nnstate.library", "nnstate.test.work"}) {
      String value = System.getProperty(key);
      if (value != null) {
        cmd.add("-D" + key + "=" + value);
      }
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    return cmd;
  }
}
