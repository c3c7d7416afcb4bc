package org.nnstate;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.nio.file.Path;

/**
 * examples/train_resume.c written in Java, call for call: the same data (three noisy clusters
 * from the same LCG), network, Adam, ReduceLROnPlateau, early stopping and checkpoint policy,
 * so that its files can be compared with the C program's. As a program (the child JVM of
 * ResumeTest): ThreeClusters DIR [--crash-after-steps N] resumes from DIR's newest checkpoint,
 * trains, saves DIR/final.nnst and prints the digest train_resume prints; with
 * --crash-after-steps it SIGKILLs itself after global step N, as a crash would.
 */
public final class ThreeClusters {
  private ThreeClusters() {}

  static final int SAMPLES = 600;
  static final int VAL = 200;
  static final int FEATURES = 6;
  static final int CLASSES = 3;

  interface LibC extends Library {
    int raise(int signal);

    int getpid();
  }

  /** x: (SAMPLES + VAL) rows of FEATURES; y: the class of each row (as in train_resume.c). */
  static float[][] data() {
    float[] x = new float[(SAMPLES + VAL) * FEATURES];
    float[] y = new float[SAMPLES + VAL];
    int s = 2024; // uint32_t arithmetic: Java's int wraps the same way; >>> is the unsigned shift
    for (int i = 0; i < SAMPLES + VAL; ++i) {
      for (int f = 0; f < FEATURES; ++f) {
        s = s * 1664525 + 1013904223;
        x[i * FEATURES + f] = (float) (s >>> 8) / 16777216.0f - 0.5f
            + (f == i % CLASSES ? 0.7f : 0.f);
      }
      y[i] = i % CLASSES;
    }
    return new float[][] {x, y};
  }

  static Network network() {
    return new Network(7).addLinear(FEATURES, 32).addRelu().addLinear(32, CLASSES)
        .setLoss(Loss.CROSS_ENTROPY).setOptimizer(OptimizerOptions.adam().lr(0.01));
  }

  static Trainer trainer(Network net, String directory) {
    Trainer t = new Trainer(net, new TrainerOptions().epochs(15).batchSize(32),
        SchedulerOptions.reduceOnPlateau().patience(1),
        new EarlyStoppingOptions().patience(4).restoreBestWeights(true));
    t.setCheckpointing(new CheckpointPolicy(directory).everySteps(10));
    return t;
  }

  /** train_resume's digest: FNV-1a's step over the bytes of 0.weight (little-endian floats). */
  static String digest(float[] weights) {
    long digest = 1469598103934665603L; // train_resume.c's starting value, digit for digit
    for (float w : weights) {
      int bits = Float.floatToRawIntBits(w);
      for (int b = 0; b < 4; ++b) {
        digest = (digest ^ ((bits >>> (8 * b)) & 0xff)) * 0x100000001b3L;
      }
    }
    return String.format("%016x", digest);
  }

  public static void main(String[] args) {
    String dir = args[0];
    long crashAfter = args.length == 3 && args[1].equals("--crash-after-steps")
        ? Long.parseLong(args[2]) : 0;
    float[][] xy = data();
    float[] x = xy[0];
    float[] y = xy[1];
    try (Network net = network();
        Dataset train = new Dataset(java.util.Arrays.copyOf(x, SAMPLES * FEATURES),
            java.util.Arrays.copyOf(y, SAMPLES), SAMPLES);
        Dataset val = new Dataset(java.util.Arrays.copyOfRange(x, SAMPLES * FEATURES, x.length),
            java.util.Arrays.copyOfRange(y, SAMPLES, y.length), VAL)) {
      Trainer trainer = trainer(net, dir);
      if (crashAfter > 0) {
        LibC libc = Native.load("c", LibC.class);
        trainer.onBatch(b -> {
          if (b.globalStep() == crashAfter) {
            System.out.println("simulating a crash at step " + crashAfter);
            System.out.flush();
            libc.raise(9); // SIGKILL: no cleanup, no JVM shutdown
          }
          return false;
        });
      }
      if (trainer.resumeLatest(dir)) {
        Trainer.Position p = trainer.position();
        System.out.println("resumed at epoch " + p.epoch() + ", step " + p.globalStep());
      }
      StopReason reason = trainer.fit(train, val);
      System.out.println(reason);
      trainer.save(Path.of(dir, "final.nnst").toString());
      System.out.println("final weights digest: " + digest(net.getTensor("0.weight")));
    }
  }
}
