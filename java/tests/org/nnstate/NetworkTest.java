package org.nnstate;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;

/** Network: every layer kind, sizes, loss and optimizer, training and inference, tensors, and
 * the errors of each with the library's status. */
public final class NetworkTest {
  @Test
  public void versionsComeFromTheLoadedLibrary() {
    Check.contains(Nnstate.version(), ".", "version");
    Check.equal(1, Nnstate.abiVersion(), "ABI version");
    Check.equal("invalid argument", Nnstate.statusString(Status.INVALID_ARGUMENT), "status text");
    Check.equal("SHAPE_MISMATCH", Status.name(-2), "status name");
  }

  @Test
  public void stackLayersGivePyTorchNamesAndCounts() {
    try (Network net = new Network(1)) {
      net.addLinear(4, 8).addRelu().addTanh().addSigmoid().addGelu().addGelu(true)
          .addLeakyRelu().addLeakyRelu(0.2f).addDropout(0.25).addBatchNorm1d(8)
          .addLayerNorm(8).addLinear(8, 3, false);
      Check.equal(12L, net.layerCount(), "layers");
      Check.equal(4L, net.inputSize(), "input size");
      Check.equal(3L, net.outputSize(), "output size");
      Check.equal(4L * 8 + 8 + 8 + 8 + 8 + 8 + 8 * 3, net.parameterCount(), "parameters");
      List<Network.TensorInfo> tensors = net.tensors();
      Check.equal("0.weight", tensors.get(0).name(), "first tensor");
      Check.equal(new long[] {8, 4}, tensors.get(0).shape(), "Linear weight is [out, in]");
      Check.equal("9.running_mean", tensors.get(4).name(), "BatchNorm buffer");
      Check.equal(Network.TensorInfo.BUFFER, tensors.get(4).role(), "buffer role");
      Check.equal("11.weight", tensors.get(tensors.size() - 1).name(), "last tensor");
    }
  }

  @Test
  public void imageLayersAndNodesOfEveryOtherKind() {
    try (Network net = new Network(2)) {
      net.setInputShape(1, 8, 8)
          .addConv2d(new Conv2dOptions(1, 4, 3).padding(1).stride(1).bias(true))
          .addBatchNorm2d(4).addMaxPool2d(2).addDropout2d(0.1).addAvgPool2d(2)
          .addAdaptiveAvgPool2d(1, 1).addFlatten().addIdentity().addLinear(4, 4);
      long branch = net.addNode(Node.of("Linear").name("head.a").arg("in_features", 4)
          .arg("out_features", 4));
      net.addNode(Node.of("Linear").name("head.b").inputs(branch - 1).arg("in_features", 4)
          .arg("out_features", 4));
      long sum = net.addMerge(LayerKind.ADD, "head.a", "head.b");
      long cat = net.addMerge(LayerKind.CONCAT, sum, "head.a");
      net.addMerge(LayerKind.MULTIPLY, cat, cat);
      net.addSoftmax(-1).addLogSoftmax(1);
      Check.equal(8L, net.outputSize(), "concat of two 4-wide nodes");
      Check.contains(net.nodeJson(branch), "\"name\":\"head.a\"", "node json");
      Check.contains(net.nodeJson(0), "\"kind\":\"Conv2d\"", "node json of the conv");
      Check.equal(new long[] {4, 1, 3, 3}, net.tensors().get(0).shape(), "conv weight");
      Check.isTrue(net.tensors().stream().anyMatch(t -> t.name().equals("head.b.weight")),
          "named nodes prefix their tensors");
      float[] out = net.predict(new float[2 * 64], 2);
      Check.equal(16, out.length, "predict of 2 samples");
    }
    try (Network emb = new Network(3)) {
      emb.setInputShape(5).addEmbedding(10, 3).addFlatten().addLinear(15, 2);
      Check.equal(2L, emb.outputSize(), "embedding output");
    }
  }

  @Test
  public void badLayersAreRefusedWithTheirStatus() {
    try (Network net = new Network(1)) {
      Check.fails(Status.INVALID_ARGUMENT, () -> net.addLinear(0, 4), "zero inputs");
      net.addLinear(3, 4);
      NnstateException e = Check.fails(Status.SHAPE_MISMATCH, () -> net.addLinear(5, 2),
          "Linear after a 4-wide layer");
      Check.contains(e.message(), "5", "the message names the sizes");
      Check.fails(Status.INVALID_ARGUMENT, () -> net.addActivation(LayerKind.LINEAR),
          "not an activation");
      Check.fails(Status.INVALID_ARGUMENT, () -> net.addDropout(1.5), "dropout p");
      Check.fails(Status.INVALID_ARGUMENT, () -> net.addNode("{\"kind\": \"Nope\"}"),
          "unknown kind");
      Check.fails(Status.INVALID_ARGUMENT, () -> net.addNode("not json"), "not JSON");
      Check.fails(Status.INVALID_ARGUMENT, () -> net.addNode((String) null), "null JSON");
      Check.fails(Status.INVALID_ARGUMENT, () -> net.nodeJson(99), "node index");
      Check.fails(Status.STATE, () -> net.setInputShape(3), "input shape after a layer");
      Check.fails(Status.STATE, () -> net.lr(), "no optimizer yet");
      Check.fails(Status.INVALID_ARGUMENT,
          () -> net.setOptimizer(OptimizerOptions.adam().lr(-1)), "negative lr");
      Check.fails(Status.INVALID_ARGUMENT, () -> OptimizerOptions.of(9), "unknown optimizer");
      Check.fails(Status.INVALID_ARGUMENT, () -> net.addLayerNorm(new long[0], 1e-5, true),
          "LayerNorm rank 0");
    }
    try (Network empty = new Network(1)) {
      Check.fails(Status.STATE, () -> empty.inputSize(), "no layer");
      Check.fails(Status.STATE, () -> empty.setOptimizer(OptimizerOptions.adam()), "no layers");
      Check.fails(Status.STATE, () -> empty.addConv2d(1, 2, 3), "conv without input shape");
    }
  }

  @Test
  public void trainingLowersTheLossAndPredictMatchesBuffers() {
    try (Network net = Fixtures.classifier(5)) {
      Check.equal(0.02, net.lr(), "lr");
      float[] x = Fixtures.xs();
      float[] y = Fixtures.ys();
      float first = net.trainStep(x, y, Fixtures.SAMPLES);
      float last = first;
      for (int i = 0; i < 200; ++i) {
        last = net.trainStep(x, y, Fixtures.SAMPLES);
      }
      Check.isTrue(last < first * 0.5f, "loss fell from " + first + " to " + last);
      float eval = net.evaluate(x, y, Fixtures.SAMPLES);
      Check.equal(eval, net.evaluate(Fixtures.direct(x), Fixtures.direct(y), Fixtures.SAMPLES),
          "evaluate with buffers");
      float[] out = net.predict(x, Fixtures.SAMPLES);
      FloatBuffer direct = ByteBuffer.allocateDirect(4 * (out.length + 2))
          .order(ByteOrder.nativeOrder()).asFloatBuffer();
      direct.position(2); // an offset: the address must include the position
      net.predict(Fixtures.direct(x), Fixtures.SAMPLES, direct.slice());
      float[] viaBuffer = new float[out.length];
      direct.get(viaBuffer);
      Check.equal(out, viaBuffer, "predict into a buffer");
      net.setLr(0.5);
      Check.equal(0.5, net.lr(), "set lr");
      Check.isTrue(!net.isTraining(), "eval mode by default");
      net.setTraining(true);
      Check.isTrue(net.isTraining(), "training mode");
    }
  }

  @Test
  public void deterministicModeGivesTheSameBitsOnOneAndTwoThreads() {
    float[][] weights = new float[2][];
    for (int threads = 1; threads <= 2; ++threads) {
      try (Network net = Fixtures.classifier(5)) {
        Check.equal(0L, net.deterministicChunkSize(), "off by default");
        net.setDeterministic(3, threads);
        Check.equal(3L, net.deterministicChunkSize(), "chunk size");
        for (int i = 0; i < 20; ++i) {
          net.trainStep(Fixtures.xs(), Fixtures.ys(), Fixtures.SAMPLES);
        }
        weights[threads - 1] = net.getTensor("0.weight");
      }
    }
    Check.equal(weights[0], weights[1], "1 and 2 threads");
    try (Network net = Fixtures.classifier(5)) {
      Check.fails(Status.INVALID_ARGUMENT, () -> net.setDeterministic(-1, 1), "negative chunk");
    }
  }

  @Test
  public void bufferStepsEqualArraySteps() {
    try (Network a = Fixtures.classifier(9); Network b = Fixtures.classifier(9)) {
      for (int i = 0; i < 5; ++i) {
        float la = a.trainStep(Fixtures.xs(), Fixtures.ys(), Fixtures.SAMPLES);
        float lb = b.trainStep(Fixtures.direct(Fixtures.xs()), Fixtures.direct(Fixtures.ys()),
            Fixtures.SAMPLES);
        Check.equal(la, lb, "loss of step " + i);
      }
      Check.equal(a.getTensor("2.weight"), b.getTensor("2.weight"), "weights");
    }
  }

  @Test
  public void wrongSizesAreShapeMismatches() {
    try (Network net = Fixtures.classifier(5)) {
      float[] x = Fixtures.xs();
      NnstateException e = Check.fails(Status.SHAPE_MISMATCH,
          () -> net.trainStep(new float[5], Fixtures.ys(), Fixtures.SAMPLES), "5 inputs");
      Check.contains(e.message(), "5", "the message gives the count");
      Check.fails(Status.SHAPE_MISMATCH, () -> net.trainStep(x, new float[3], Fixtures.SAMPLES),
          "3 targets");
      Check.fails(Status.INVALID_ARGUMENT, () -> net.trainStep(x, Fixtures.ys(), 0), "batch 0");
      Check.fails(Status.INVALID_ARGUMENT, () -> net.trainStep(null, Fixtures.ys(), 1), "null");
      Check.fails(Status.SHAPE_MISMATCH, () -> net.predict(x, 2), "predict count");
      Check.fails(Status.SHAPE_MISMATCH, () -> net.setTensor("0.weight", new float[3]),
          "tensor size");
      Check.fails(Status.NOT_FOUND, () -> net.getTensor("9.weight"), "no such tensor");
      Check.fails(Status.SHAPE_MISMATCH, () -> net.predict(Fixtures.direct(x), Fixtures.SAMPLES,
          Fixtures.direct(new float[3])), "output buffer too small");
      float[] bad = Fixtures.ys().clone();
      bad[0] = 7;
      Check.fails(Status.INVALID_ARGUMENT, () -> net.trainStep(x, bad, Fixtures.SAMPLES),
          "class index 7 of 2 classes");
    }
  }

  @Test
  public void buffersThatCannotBeUsedInPlaceAreRefused() {
    try (Network net = Fixtures.classifier(5)) {
      float[] x = Fixtures.xs();
      Check.fails(Status.INVALID_ARGUMENT,
          () -> net.evaluate(FloatBuffer.wrap(x), Fixtures.direct(Fixtures.ys()), 24), "heap");
      FloatBuffer swapped = ByteBuffer.allocateDirect(4 * x.length)
          .order(ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN ? ByteOrder.LITTLE_ENDIAN
              : ByteOrder.BIG_ENDIAN).asFloatBuffer();
      NnstateException e = Check.fails(Status.INVALID_ARGUMENT,
          () -> net.evaluate(swapped, Fixtures.direct(Fixtures.ys()), 24), "byte order");
      Check.contains(e.message(), "nativeOrder", "the message says how to fix it");
      FloatBuffer readOnly = Fixtures.direct(new float[48]).asReadOnlyBuffer();
      Check.fails(Status.INVALID_ARGUMENT,
          () -> net.predict(Fixtures.direct(x), 24, readOnly), "read-only output");
    }
  }

  @Test
  public void tensorsRoundTripAndOptimizersHaveTheirDefaults() {
    try (Network net = new Network(4).addLinear(2, 3)) {
      float[] w = {1, 2, 3, 4, 5, 6};
      net.setTensor("0.weight", w);
      Check.equal(w, net.getTensor("0.weight"), "weights");
      OptimizerOptions adamw = OptimizerOptions.adamw();
      Check.equal(0.01, adamw.weightDecay(), "AdamW's default weight decay");
      Check.equal(0.999, adamw.beta2(), "beta2");
      net.setLoss(Loss.MSE).setOptimizer(OptimizerOptions.sgd(0.1).momentum(0.9).nesterov(true));
      Check.equal(0.1, net.lr(), "SGD lr");
      try (Network other = new Network(4).addLinear(2, 3)) {
        Check.fails(Status.INVALID_ARGUMENT,
            () -> other.setOptimizer(OptimizerOptions.sgd(0.1).nesterov(true)),
            "nesterov without momentum, as PyTorch refuses it");
      }
    }
  }
}
