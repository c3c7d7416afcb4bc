/*
 * examples/fashion_mnist.c in Java, through the org.nnstate binding: Fashion-MNIST with an MLP,
 * Adam, ReduceLROnPlateau and early stopping, a checkpoint every 200 steps and every epoch in
 * RUN_DIR; started again, it resumes from the newest valid checkpoint. At the end it saves
 * RUN_DIR/final.nnst and prints the test accuracy. The same seed and calls as the C program,
 * so both end with the same checkpoint (`nnstate diff` finds nothing but timings).
 *
 * Usage: FashionMnist DATA_DIR RUN_DIR [--crash-after-steps N]
 *   DATA_DIR holds the four uncompressed IDX files of Fashion-MNIST.
 *   --crash-after-steps kills the JVM (SIGKILL, no cleanup) after global step N.
 */
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.nnstate.CheckpointPolicy;
import org.nnstate.Dataset;
import org.nnstate.EarlyStoppingOptions;
import org.nnstate.Loss;
import org.nnstate.Network;
import org.nnstate.NnstateException;
import org.nnstate.OptimizerOptions;
import org.nnstate.SchedulerOptions;
import org.nnstate.StopReason;
import org.nnstate.Trainer;
import org.nnstate.TrainerOptions;

public final class FashionMnist {
  static final int PIXELS = 784;
  static final int CLASSES = 10;
  static final int VALIDATION = 6000;

  interface LibC extends Library {
    int raise(int signal);
  }

  /**
   * Reads an IDX file of items of `item` bytes into a direct buffer of floats (scaled by
   * `scale`, as the C program does) that the library can use in place.
   */
  static FloatBuffer readIdx(Path dir, String name, int magic, int item, float scale)
      throws IOException {
    Path path = dir.resolve(name);
    try (InputStream in = Files.newInputStream(path);
        DataInputStream data = new DataInputStream(in)) {
      if (data.readInt() != magic) {
        throw new IOException(path + " is not an IDX file of magic 0x" + Integer.toHexString(magic));
      }
      int count = data.readInt();
      for (int d = 1; d < (magic & 0xff); ++d) {
        data.readInt(); // the other dimensions (rows and columns of images)
      }
      long values = (long) count * item;
      if (count < 0 || values * 4 > Integer.MAX_VALUE || values > Files.size(path)) {
        throw new IOException(path + " claims " + count + " items, more than the file holds");
      }
      byte[] bytes = data.readNBytes((int) values);
      if (bytes.length != values) {
        throw new IOException(path + " is truncated");
      }
      FloatBuffer out = ByteBuffer.allocateDirect((int) values * 4).order(ByteOrder.nativeOrder())
          .asFloatBuffer();
      for (byte b : bytes) {
        out.put((float) (b & 0xff) * scale);
      }
      return out.flip();
    }
  }

  static FloatBuffer rows(FloatBuffer all, int first, int count, int width) {
    return all.slice(first * width, count * width);
  }

  public static void main(String[] args) throws IOException {
    if (!(args.length == 2 || (args.length == 4 && args[2].equals("--crash-after-steps")))) {
      System.err.println("usage: FashionMnist DATA_DIR RUN_DIR [--crash-after-steps N]");
      System.exit(2);
    }
    Path data = Path.of(args[0]);
    String runDir = args[1];
    long crashAfter = args.length == 4 ? Long.parseLong(args[3]) : 0;
    FloatBuffer trainX = readIdx(data, "train-images-idx3-ubyte", 0x803, PIXELS, 1.0f / 255);
    FloatBuffer trainY = readIdx(data, "train-labels-idx1-ubyte", 0x801, 1, 1.0f);
    FloatBuffer testX = readIdx(data, "t10k-images-idx3-ubyte", 0x803, PIXELS, 1.0f / 255);
    FloatBuffer testY = readIdx(data, "t10k-labels-idx1-ubyte", 0x801, 1, 1.0f);
    int trainN = trainY.remaining();
    int testN = testY.remaining();

    try (Network net = new Network(1)) {
      net.addLinear(PIXELS, 256).addRelu().addLinear(256, 128).addRelu()
          .addLinear(128, CLASSES).setLoss(Loss.CROSS_ENTROPY)
          .setOptimizer(OptimizerOptions.adam());
      Trainer trainer = new Trainer(net, new TrainerOptions().epochs(12).batchSize(128),
          SchedulerOptions.reduceOnPlateau().patience(1).factor(0.5),
          new EarlyStoppingOptions().patience(3).restoreBestWeights(true));
      trainer.setCheckpointing(new CheckpointPolicy(runDir).everySteps(200));
      LibC libc = crashAfter > 0 ? Native.load("c", LibC.class) : null;
      trainer.onBatch(b -> {
        if (b.globalStep() == crashAfter) {
          System.out.println("simulating a crash at step " + crashAfter);
          System.out.flush();
          libc.raise(9); // SIGKILL
        }
        return false;
      });
      trainer.onEpoch(e -> {
        System.out.printf("epoch %2d  loss %.4f  acc %.4f  val_loss %.4f  val_acc %.4f  lr %.1e"
            + "  %.1f s%n", e.epoch() + 1, e.loss(), e.accuracy(), e.valLoss(), e.valAccuracy(),
            e.lr(), e.seconds());
        return false;
      });
      boolean found = trainer.resumeLatest(runDir);
      if (!trainer.warnings().isEmpty()) {
        System.out.println("warning: " + trainer.warnings());
      }
      if (found) {
        Trainer.Position p = trainer.position();
        System.out.println("resumed from " + runDir + " at epoch " + (p.epoch() + 1) + ", step "
            + p.globalStep());
      }

      // The last 6000 training images validate; the test set is only used at the end. The
      // datasets borrow slices of the direct buffers: no copy of the images.
      int fit = trainN - VALIDATION;
      try (Dataset train = new Dataset(rows(trainX, 0, fit, PIXELS), rows(trainY, 0, fit, 1), fit);
          Dataset val = new Dataset(rows(trainX, fit, VALIDATION, PIXELS),
              rows(trainY, fit, VALIDATION, 1), VALIDATION)) {
        StopReason reason = trainer.fit(train, val);
        System.out.println("training " + (reason == StopReason.EARLY_STOPPING
            ? "stopped early (best weights restored)" : "completed"));
      }
      trainer.save(Path.of(runDir, "final.nnst").toString());

      FloatBuffer scores = ByteBuffer.allocateDirect(testN * CLASSES * 4)
          .order(ByteOrder.nativeOrder()).asFloatBuffer();
      net.predict(testX, testN, scores);
      int correct = 0;
      for (int i = 0; i < testN; ++i) {
        int best = 0;
        for (int c = 1; c < CLASSES; ++c) {
          if (scores.get(i * CLASSES + c) > scores.get(i * CLASSES + best)) {
            best = c;
          }
        }
        correct += best == testY.get(i) ? 1 : 0;
      }
      System.out.printf("test accuracy: %.4f%n", (double) correct / testN);
    } catch (NnstateException e) {
      System.err.println("FashionMnist: " + e.getMessage());
      System.exit(1);
    }
  }
}
