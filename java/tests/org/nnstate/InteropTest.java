package org.nnstate;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Checkpoints cross languages: written from Java and read by the nnstate CLI (C) and the Python
 * binding, written by C (examples/train_resume) and Python and read from Java, and the same
 * training in Java, C and Python gives the same checkpoints: `nnstate diff` finds nothing
 * (it compares every field and every tensor bitwise; only wall-clock times differ), and every
 * tensor's bits and every non-time field are equal here too.
 */
public final class InteropTest {
  static String cli() {
    return Fixtures.property("nnstate.cli");
  }

  static int nnstate(StringBuilder out, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(cli()));
    cmd.addAll(List.of(args));
    return Fixtures.run(cmd, out, null);
  }

  static int python(StringBuilder out, String... args) throws Exception {
    String python = Fixtures.property("nnstate.python");
    List<String> cmd = new ArrayList<>(List.of(python,
        Path.of(Fixtures.property("nnstate.python.path")).resolveSibling("java").resolve("tests")
            .resolve("interop.py").toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("PYTHONPATH", Fixtures.property("nnstate.python.path"));
    pb.environment().put("NNSTATE_LIBRARY", Fixtures.property("nnstate.library"));
    Process p = pb.start();
    out.append(new String(p.getInputStream().readAllBytes()));
    return p.waitFor();
  }

  /** Asserts that two checkpoints hold the same training state, bit for bit. */
  static void sameState(String a, String b) throws Exception {
    StringBuilder out = new StringBuilder();
    Check.equal(0, nnstate(out, "diff", a, b), "nnstate diff " + a + " " + b + ":\n" + out);
    try (Checkpoint x = new Checkpoint(a); Checkpoint y = new Checkpoint(b)) {
      Check.equal(names(x.tensors()), names(y.tensors()), "tensor names");
      for (Checkpoint.TensorInfo t : x.tensors()) {
        float[] u = x.tensor(t.name());
        float[] v = y.tensor(t.name());
        Check.equal(u.length, v.length, t.name());
        for (int i = 0; i < u.length; ++i) {
          if (Float.floatToRawIntBits(u[i]) != Float.floatToRawIntBits(v[i])) {
            throw new AssertionError(t.name() + "[" + i + "]: " + u[i] + " vs " + v[i]);
          }
        }
      }
      Check.equal(fields(x), fields(y), "every field but the wall-clock ones");
    }
  }

  static List<String> names(List<Checkpoint.TensorInfo> tensors) {
    return tensors.stream().map(Checkpoint.TensorInfo::name).toList();
  }

  static Map<String, String> fields(Checkpoint c) {
    Map<String, String> out = new TreeMap<>();
    for (Checkpoint.Field f : c.fields()) {
      if (!f.wallClock()) {
        out.put(f.name(), f.value());
      }
    }
    return out;
  }

  static List<String> checkpointFiles(Path dir) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".nnst"))
          .filter(n -> !n.equals("final.nnst")).sorted().toList();
    }
  }

  @Test
  public void theSameTrainingInJavaAndCGivesTheSameCheckpoints() throws Exception {
    Path dir = Fixtures.tempDir();
    try {
      Path c = dir.resolve("c");
      Path java = dir.resolve("java");
      StringBuilder cOut = new StringBuilder();
      Check.equal(0, Fixtures.run(List.of(Fixtures.property("nnstate.train_resume"),
          c.toString()), cOut, null), "train_resume:\n" + cOut);
      List<String> cmd = Fixtures.javaCommand("org.nnstate.ThreeClusters");
      cmd.add(java.toString());
      StringBuilder javaOut = new StringBuilder();
      Check.equal(0, Fixtures.run(cmd, javaOut, null), "ThreeClusters:\n" + javaOut);
      String digest = cOut.substring(cOut.indexOf("final weights digest:")).trim();
      Check.contains(javaOut.toString(), digest, "train_resume's weight digest");
      List<String> files = checkpointFiles(c);
      Check.equal(files, checkpointFiles(java), "the same checkpoint files");
      Check.isTrue(files.contains("best.nnst") && files.size() >= 3, "files: " + files);
      for (String name : files) {
        sameState(c.resolve(name).toString(), java.resolve(name).toString());
      }
    } finally {
      Fixtures.delete(dir);
    }
  }

  @Test
  public void aCheckpointWrittenByCResumesInJava() throws Exception {
    Path dir = Fixtures.tempDir();
    try {
      Path c = dir.resolve("c");
      StringBuilder out = new StringBuilder();
      Check.equal(0, Fixtures.run(List.of(Fixtures.property("nnstate.train_resume"),
          c.toString(), "--stop-after", "37"), out, null), "train_resume:\n" + out);
      Check.contains(out.toString(), "stopped", "C stopped part-way");
      List<String> cmd = Fixtures.javaCommand("org.nnstate.ThreeClusters");
      cmd.add(c.toString()); // Java continues C's run in C's directory
      StringBuilder javaOut = new StringBuilder();
      Check.equal(0, Fixtures.run(cmd, javaOut, null), "ThreeClusters:\n" + javaOut);
      Check.contains(javaOut.toString(), "resumed at epoch 1, step 37", "resumed from C's file");
      StringBuilder straight = new StringBuilder();
      Check.equal(0, Fixtures.run(List.of(Fixtures.property("nnstate.train_resume"),
          dir.resolve("straight").toString()), straight, null), "train_resume:\n" + straight);
      String digest = straight.substring(straight.indexOf("final weights digest:")).trim();
      Check.contains(javaOut.toString(), digest, "C then Java ends as C alone");
    } finally {
      Fixtures.delete(dir);
    }
  }

  @Test
  public void javaCheckpointsVerifyInTheCliAndLoadInPython() throws Exception {
    Path dir = Fixtures.tempDir();
    try {
      String path = dir.resolve("java.nnst").toString();
      float[] predictions;
      try (Network net = Fixtures.classifier(5);
          Dataset data = new Dataset(Fixtures.xs(), Fixtures.ys(), Fixtures.SAMPLES)) {
        Trainer t = new Trainer(net, new TrainerOptions().epochs(2).batchSize(8));
        t.fit(data, null);
        t.save(path, SaveOptions.defaults().metadata("writer", "java"));
        predictions = net.predict(Fixtures.xs(), Fixtures.SAMPLES);
      }
      StringBuilder out = new StringBuilder();
      Check.equal(0, nnstate(out, "verify", path), "nnstate verify:\n" + out);
      out.setLength(0);
      Check.equal(0, nnstate(out, "inspect", path), "nnstate inspect:\n" + out);
      Check.contains(out.toString(), "writer", "inspect shows the metadata");
      out.setLength(0);
      Check.equal(0, python(out, "check", path), "python check:\n" + out);
      String json = out.toString().trim();
      Check.contains(json, "\"writer\": \"java\"", "metadata in Python");
      Check.contains(json, "\"global_step\": 6", "position in Python");
      Check.contains(json, "\"history\": 2", "history in Python");
      String list = json.substring(json.indexOf("\"predict\": [") + 12, json.lastIndexOf(']'));
      String[] values = list.split(", ");
      Check.equal(predictions.length, values.length, "prediction count");
      for (int i = 0; i < values.length; ++i) {
        Check.equal(predictions[i], (float) Double.parseDouble(values[i]), "prediction " + i);
      }
    } finally {
      Fixtures.delete(dir);
    }
  }

  @Test
  public void theSameTrainingInPythonAndJavaGivesTheSameCheckpoint() throws Exception {
    Path dir = Fixtures.tempDir();
    try {
      String py = dir.resolve("python.nnst").toString();
      String java = dir.resolve("java.nnst").toString();
      StringBuilder out = new StringBuilder();
      Check.equal(0, python(out, "train", py), "python train:\n" + out);
      try (Network net = Fixtures.classifier(5);
          Dataset data = new Dataset(Fixtures.xs(), Fixtures.ys(), Fixtures.SAMPLES)) {
        Trainer trainer = new Trainer(net, new TrainerOptions().epochs(2).batchSize(8));
        trainer.fit(data, null);
        trainer.save(java);
        try (Network fromPython = Network.load(py)) {
          Check.equal(net.predict(Fixtures.xs(), Fixtures.SAMPLES),
              fromPython.predict(Fixtures.xs(), Fixtures.SAMPLES), "Python's file in Java");
        }
        Trainer resumed = new Trainer(Fixtures.classifier(8),
            new TrainerOptions().epochs(2).batchSize(8));
        resumed.resume(py);
        Check.equal(new Trainer.Position(2, 6, 0), resumed.position(), "Python's trainer state");
        Check.equal(trainer.history().size(), resumed.history().size(), "Python's history");
      }
      sameState(py, java);
    } finally {
      Fixtures.delete(dir);
    }
  }
}
