package org.nnstate;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Checkpoint: save, load, load_into, verify, buffers, inspection of every field and of the
 * training-loop state, and the errors of damaged or missing files. */
public final class CheckpointTest {
  @Test
  public void saveLoadVerifyAndInspect() throws Exception {
    Path dir = Fixtures.tempDir();
    try {
      String path = dir.resolve("net.nnst").toString();
      float[] expected;
      try (Network net = Fixtures.classifier(5)) {
        for (int i = 0; i < 3; ++i) {
          net.trainStep(Fixtures.xs(), Fixtures.ys(), Fixtures.SAMPLES);
        }
        net.save(path, SaveOptions.defaults().metadata("lr", "0.02").metadata("note", "test"));
        expected = net.predict(Fixtures.xs(), Fixtures.SAMPLES);
      }
      Checkpoint.verify(path);
      try (Network loaded = Network.load(path)) {
        Check.equal(expected, loaded.predict(Fixtures.xs(), Fixtures.SAMPLES), "predictions");
        Check.equal(0.02, loaded.lr(), "the optimizer comes back");
      }
      try (Network weights = Network.load(path, LoadOptions.weightsOnly())) {
        Check.fails(Status.STATE, weights::lr, "weights only: no optimizer");
      }
      try (Checkpoint ckpt = new Checkpoint(path)) {
        Check.equal(1, ckpt.formatVersion()[0], "format major");
        Check.equal(Checkpoint.libraryFormatVersion()[1], ckpt.formatVersion()[1], "minor");
        Check.equal(Nnstate.version(), ckpt.writerVersion(), "writer version");
        Check.isTrue(ckpt.createdUnixNanos() > 0, "creation time");
        Check.isTrue(ckpt.environment().blasThreads() > 0, "BLAS threads recorded");
        Check.equal(new Checkpoint.Optimizer(OptimizerOptions.ADAM, 3), ckpt.optimizer(),
            "optimizer and step");
        Check.equal(0.02, ckpt.optimizerOptions().lr(), "stored hyper-parameters");
        Check.equal(Loss.CROSS_ENTROPY, ckpt.loss(), "loss");
        Check.equal(Map.of("lr", "0.02", "note", "test"), ckpt.metadata(), "metadata");
        Check.equal("test", ckpt.metadata("note"), "one key");
        Check.fails(Status.NOT_FOUND, () -> ckpt.metadata("absent"), "no such key");
        Check.equal(List.of(LayerKind.LINEAR, LayerKind.RELU, LayerKind.LINEAR),
            ckpt.layerKinds(), "layers");
        Checkpoint.TensorInfo first = ckpt.tensors().get(0);
        Check.equal("0.weight", first.name(), "first tensor");
        Check.equal(new long[] {8, 3}, first.shape(), "its shape");
        Check.isTrue(ckpt.tensors().stream().anyMatch(t -> t.name()
            .equals("optimizer.0.weight.exp_avg") && t.role() == Network.TensorInfo
            .OPTIMIZER_STATE), "Adam's moments are stored");
        try (Network loaded = Network.load(path)) {
          Check.equal(loaded.getTensor("0.weight"), ckpt.tensor("0.weight"), "tensor values");
        }
        Check.fails(Status.NOT_FOUND, () -> ckpt.tensor("nope"), "no such tensor");
        Check.isTrue(ckpt.fields().stream().anyMatch(f -> f.name().startsWith("optimizer.")),
            "fields");
        Check.isTrue(ckpt.trainer() == null, "no training loop in a network checkpoint");
        Check.equal(0, ckpt.history().size(), "no history");
        Check.isTrue(ckpt.earlyStopping() == null, "no early stopping");
        Check.equal(0, ckpt.scheduler().kind(), "no scheduler");
      }
      try (RandomAccessFile f = new RandomAccessFile(path, "rw")) { // one flipped bit
        f.seek(100);
        int b = f.read();
        f.seek(100);
        f.write(b ^ 1);
      }
      Check.fails(Status.CORRUPT, () -> Checkpoint.verify(path), "flipped bit");
      Check.fails(Status.CORRUPT, () -> new Checkpoint(path), "open refuses it");
      Check.fails(Status.CORRUPT, () -> Network.load(path), "load refuses it");
      Check.fails(Status.NOT_FOUND, () -> Checkpoint.verify(dir.resolve("no.nnst").toString()),
          "missing file");
      Files.write(dir.resolve("garbage.nnst"), new byte[] {1, 2, 3});
      Check.fails(Status.CORRUPT, () -> new Checkpoint(dir.resolve("garbage.nnst").toString()),
          "garbage");
      Check.fails(Status.INVALID_ARGUMENT, () -> Checkpoint.verify((String) null), "null path");
    } finally {
      Fixtures.delete(dir);
    }
  }

  @Test
  public void buffersAndLoadIntoWithStrictShapes() {
    try (Network net = Fixtures.classifier(5)) {
      net.trainStep(Fixtures.xs(), Fixtures.ys(), Fixtures.SAMPLES);
      byte[] bytes = net.saveToBuffer(null);
      float[] saved = net.getTensor("0.weight");
      Checkpoint.verify(bytes);
      try (Checkpoint ckpt = new Checkpoint(bytes)) {
        Check.equal(new Checkpoint.Optimizer(OptimizerOptions.ADAM, 1), ckpt.optimizer(), "step");
      }
      try (Network same = Fixtures.classifier(99)) {
        same.loadInto(bytes, LoadOptions.full());
        Check.equal(net.getTensor("2.bias"), same.getTensor("2.bias"), "loaded into");
        Check.equal(net.trainStep(Fixtures.xs(), Fixtures.ys(), Fixtures.SAMPLES),
            same.trainStep(Fixtures.xs(), Fixtures.ys(), Fixtures.SAMPLES),
            "training continues identically (Adam's state came along)");
      }
      try (Network other = new Network(1).addLinear(3, 4).addRelu().addLinear(4, 2)) {
        NnstateException e = Check.fails(Status.SHAPE_MISMATCH,
            () -> other.loadInto(bytes, null), "another architecture");
        Check.contains(e.message(), "0.weight", "the message names the tensor");
      }
      try (Network loaded = Network.load(bytes, LoadOptions.full().verifyCrc(true))) {
        Check.equal(saved, loaded.getTensor("0.weight"), "from bytes");
      }
      byte[] damaged = bytes.clone();
      damaged[damaged.length - 1] ^= 1;
      Check.fails(Status.CORRUPT, () -> Checkpoint.verify(damaged), "damaged buffer");
      Check.fails(Status.CORRUPT, () -> Network.load(damaged, null), "damaged load");
    }
  }

  @Test
  public void trainerCheckpointsHoldTheLoopsState() throws Exception {
    Path dir = Fixtures.tempDir();
    try {
      String path = dir.resolve("trainer.nnst").toString();
      try (Network net = Fixtures.classifier(5);
          Dataset train = new Dataset(Fixtures.xs(), Fixtures.ys(), Fixtures.SAMPLES)) {
        Trainer t = new Trainer(net, new TrainerOptions().epochs(3).batchSize(8),
            SchedulerOptions.reduceOnPlateau().patience(0).factor(0.5),
            new EarlyStoppingOptions().patience(5).restoreBestWeights(true));
        t.onBatch(b -> b.globalStep() == 7);
        t.fit(train, train);
        t.save(path, SaveOptions.defaults().fsync(false).metadata("run", "java"));
        try (Network other = Fixtures.classifier(6)) {
          Trainer resumed = new Trainer(other, new TrainerOptions().epochs(3).batchSize(8),
              SchedulerOptions.reduceOnPlateau().patience(0).factor(0.5),
              new EarlyStoppingOptions().patience(5).restoreBestWeights(true));
          resumed.resume(path);
          Check.equal(t.position(), resumed.position(), "position restored");
          Check.equal(t.history(), resumed.history(), "history restored");
          Trainer differs = new Trainer(Fixtures.classifier(6),
              new TrainerOptions().epochs(3).batchSize(4));
          Check.fails(Status.STATE, () -> differs.resume(path), "another batch size");
        }
      }
      try (Checkpoint ckpt = new Checkpoint(path)) {
        Check.equal(new Trainer.Position(2, 7, 1), ckpt.trainer(), "stored position");
        Check.equal(2, ckpt.history().size(), "two epochs of history");
        Check.equal(SchedulerOptions.REDUCE_ON_PLATEAU, ckpt.scheduler().kind(), "scheduler");
        Check.equal(2L, ckpt.scheduler().lastEpoch(), "scheduler stepped twice");
        Checkpoint.EarlyStopping es = ckpt.earlyStopping();
        Check.equal("val_loss", es.monitor(), "monitor");
        Check.isTrue(es.bestEpoch() >= 0, "best epoch");
        Check.equal("java", ckpt.metadata("run"), "metadata");
        Check.isTrue(ckpt.fields().stream().anyMatch(f -> f.wallClock()), "timings flagged");
      }
      try (Network net = Fixtures.classifier(5)) {
        Trainer t = new Trainer(net, new TrainerOptions());
        net.save(dir.resolve("plain.nnst").toString());
        Check.fails(Status.STATE, () -> t.resume(dir.resolve("plain.nnst").toString()),
            "a network checkpoint has no training-loop state");
        Check.fails(Status.NOT_FOUND, () -> t.resume(dir.resolve("none.nnst").toString()),
            "missing file");
      }
    } finally {
      Fixtures.delete(dir);
    }
  }
}
