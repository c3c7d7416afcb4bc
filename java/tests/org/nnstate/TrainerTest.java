package org.nnstate;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Trainer and Dataset: options, every scheduler, early stopping, callbacks, stops and resumes,
 * checkpoint policies, and their errors. */
public final class TrainerTest {
  static Dataset data() {
    return new Dataset(Fixtures.xs(), Fixtures.ys(), Fixtures.SAMPLES);
  }

  @Test
  public void fitTrainsTheConfiguredEpochsAndKeepsHistory() {
    try (Network net = Fixtures.classifier(5); Dataset train = data()) {
      Trainer trainer = new Trainer(net, new TrainerOptions().epochs(3).batchSize(8));
      List<Long> epochs = new ArrayList<>();
      List<Long> steps = new ArrayList<>();
      trainer.onEpoch(e -> epochs.add(e.epoch()) && false)
          .onBatch(b -> steps.add(b.globalStep()) && false);
      Check.equal(StopReason.COMPLETED, trainer.fit(train, train), "stop reason");
      Check.equal(List.of(0L, 1L, 2L), epochs, "epoch callbacks, 0-based");
      Check.equal(9, steps.size(), "3 batches of 8 per epoch");
      Check.equal(new Trainer.Position(3, 9, 0), trainer.position(), "position");
      List<EpochInfo> history = trainer.history();
      Check.equal(3, history.size(), "history rows");
      Check.isTrue(history.get(2).loss() < history.get(0).loss(), "loss falls");
      Check.isTrue(!Double.isNaN(history.get(0).valAccuracy()), "validation accuracy");
      Check.equal(StopReason.COMPLETED, trainer.fit(train, null, 5), "extended run");
      Check.equal(5L, trainer.position().epoch(), "two more epochs");
      Check.equal(5L, trainer.epochs(), "epochs");
      Check.isTrue(trainer.network() == net, "the trainer's network");
      Check.equal("", trainer.warnings(), "no warnings");
    }
  }

  @Test
  public void aCallbackStopsResumablyAndExceptionsComeBackFromFit() {
    try (Network net = Fixtures.classifier(5); Dataset train = data()) {
      Trainer trainer = new Trainer(net, new TrainerOptions().epochs(2).batchSize(8));
      trainer.onBatch(b -> b.globalStep() == 4);
      Check.equal(StopReason.REQUESTED, trainer.fit(train, null), "stopped by the callback");
      Check.equal(new Trainer.Position(1, 4, 1), trainer.position(), "mid-epoch");
      trainer.onBatch(b -> {
        throw new IllegalStateException("from the callback");
      });
      try {
        trainer.fit(train, null);
        throw new AssertionError("fit did not rethrow the callback's exception");
      } catch (IllegalStateException e) {
        Check.equal("from the callback", e.getMessage(), "the callback's exception");
      }
      Check.equal(5L, trainer.position().globalStep(), "the batch before the exception counted");
      trainer.setEpochs(3);
      trainer.onBatch(b -> {
        trainer.requestStop();
        return false;
      });
      Check.equal(StopReason.REQUESTED, trainer.fit(train, null), "requestStop");
      trainer.onBatch(null);
      Check.equal(StopReason.COMPLETED, trainer.fit(train, null), "continues to the end");
      Check.equal(9L, trainer.position().globalStep(), "three epochs of 3 batches");
    }
  }

  @Test
  public void everySchedulerChangesTheRateAsPyTorch() {
    // lr 0.02: StepLR(1, 0.5) halves it per epoch, ExponentialLR(0.5) too, MultiStepLR at 1.
    double[][] expected = {{0.02, 0.01, 0.005}, {0.02, 0.002, 0.002}, {0.02, 0.01, 0.005}};
    SchedulerOptions[] schedulers = {SchedulerOptions.step(1, 0.5),
        SchedulerOptions.multiStep(new long[] {1}, 0.1), SchedulerOptions.exponential(0.5)};
    for (int i = 0; i < schedulers.length; ++i) {
      try (Network net = Fixtures.classifier(5); Dataset train = data()) {
        Trainer t = new Trainer(net, new TrainerOptions().epochs(3).batchSize(24), schedulers[i],
            null);
        t.fit(train, null);
        List<EpochInfo> h = t.history();
        for (int e = 0; e < 3; ++e) {
          Check.isTrue(Math.abs(h.get(e).lr() - expected[i][e]) < 1e-12,
              "scheduler " + i + " epoch " + e + ": lr " + h.get(e).lr());
        }
      }
    }
    try (Network net = Fixtures.classifier(5); Dataset train = data()) {
      Trainer t = new Trainer(net, new TrainerOptions().epochs(2).batchSize(24),
          SchedulerOptions.linear(0.5, 1.0, 2), null);
      Check.isTrue(Math.abs(net.lr() - 0.01) < 1e-12, "LinearLR scales at once: " + net.lr());
      t.fit(train, null);
    }
    try (Network net = Fixtures.classifier(5); Dataset train = data()) {
      Trainer t = new Trainer(net, new TrainerOptions().epochs(4).batchSize(24),
          SchedulerOptions.cosineAnnealing(2, 0.0), null);
      t.fit(train, null);
      Check.isTrue(t.history().get(2).lr() < 1e-12, "cosine reaches eta_min at T_max");
    }
    try (Network net = Fixtures.classifier(5); Dataset train = data()) {
      Trainer t = new Trainer(net, new TrainerOptions().epochs(1),
          SchedulerOptions.reduceOnPlateau().monitor("loss").patience(0).factor(0.5)
              .mode(Mode.MIN).threshold(1e-4, false).cooldown(0).minLr(0).eps(1e-8), null);
      t.fit(train, null);
    }
    try (Network net = Fixtures.classifier(5)) {
      Check.fails(Status.INVALID_ARGUMENT, () -> new Trainer(net, new TrainerOptions(),
          SchedulerOptions.reduceOnPlateau().monitor("nope"), null), "unknown monitor");
      Check.fails(Status.INVALID_ARGUMENT, () -> SchedulerOptions.of(42), "unknown kind");
    }
  }

  @Test
  public void earlyStoppingFiresAndRestoresTheBestWeights() {
    float[] afterOneEpoch;
    try (Network net = Fixtures.classifier(5); Dataset train = data()) {
      new Trainer(net, new TrainerOptions().epochs(1).batchSize(8)).fit(train, null);
      afterOneEpoch = net.getTensor("0.weight");
    }
    try (Network net = Fixtures.classifier(5); Dataset train = data()) {
      // min_delta 10: only the first epoch improves (on +inf), so patience 1 stops after the
      // second, and the first epoch's weights come back.
      Trainer t = new Trainer(net, new TrainerOptions().epochs(20).batchSize(8), null,
          new EarlyStoppingOptions().monitor("loss").patience(1).minDelta(10).baseline(100)
              .restoreBestWeights(true).mode(Mode.MIN).startFromEpoch(0));
      Check.equal(StopReason.EARLY_STOPPING, t.fit(train, null), "stopped early");
      Check.equal(2L, t.position().epoch(), "after patience + 1 epochs");
      Check.equal(afterOneEpoch, net.getTensor("0.weight"), "the best epoch's weights");
      Check.equal(StopReason.EARLY_STOPPING, t.fit(train, null), "stays stopped");
    }
    try (Network net = Fixtures.classifier(5); Dataset train = data()) {
      Trainer t = new Trainer(net, new TrainerOptions().epochs(2), null,
          new EarlyStoppingOptions());
      Check.fails(Status.INVALID_ARGUMENT, () -> t.fit(train, null),
          "val_loss without validation data");
    }
  }

  @Test
  public void asyncSavesResumeExactlyLikeSynchronousOnes() throws Exception {
    Path dir = Fixtures.tempDir();
    try {
      float[] expected;
      try (Network net = Fixtures.classifier(5); Dataset train = data()) {
        Trainer t = new Trainer(net, new TrainerOptions().epochs(4).batchSize(8));
        t.fit(train, train);
        expected = net.getTensor("0.weight");
      }
      String run = dir.resolve("run").toString();
      try (Network net = Fixtures.classifier(5); Dataset train = data()) {
        Trainer t = new Trainer(net, new TrainerOptions().epochs(4).batchSize(8));
        t.setCheckpointing(new CheckpointPolicy(run).everySteps(2).asyncSave(true)
            .skipWhenBusy(false).maxStagingBytes(0).fsync(false));
        t.onBatch(b -> b.globalStep() == 5);
        Check.equal(StopReason.REQUESTED, t.fit(train, train), "stopped at step 5");
        t.flushSaves();
      }
      try (Network fresh = Fixtures.classifier(77); Dataset train = data()) {
        Trainer t = new Trainer(fresh, new TrainerOptions().epochs(4).batchSize(8));
        Check.isTrue(t.resumeLatest(run), "found the background-written checkpoint");
        Check.equal(5L, t.position().globalStep(), "resumed at step 5 (the save on stop)");
        t.fit(train, train);
        Check.equal(expected, fresh.getTensor("0.weight"), "identical to the uninterrupted run");
      }
    } finally {
      Fixtures.delete(dir);
    }
  }

  @Test
  public void checkpointPolicyWritesFilesAndResumeLatestContinuesExactly() throws Exception {
    Path dir = Fixtures.tempDir();
    try {
      float[] expected;
      try (Network net = Fixtures.classifier(5); Dataset train = data()) {
        Trainer t = new Trainer(net, new TrainerOptions().epochs(4).batchSize(8));
        t.fit(train, train);
        expected = net.getTensor("0.weight");
      }
      String run = dir.resolve("run").toString();
      try (Network net = Fixtures.classifier(5); Dataset train = data()) {
        Trainer t = new Trainer(net, new TrainerOptions().epochs(4).batchSize(8));
        t.setCheckpointing(new CheckpointPolicy(run).everySteps(2).everyEpochs(1).keepLast(2)
            .keepBest(1).monitor("val_loss", Mode.MIN).onStop(true).fsync(false));
        t.onBatch(b -> b.globalStep() == 5);
        Check.equal(StopReason.REQUESTED, t.fit(train, train), "stopped at step 5");
      }
      try (Stream<Path> files = Files.list(Path.of(run))) {
        List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
        Check.isTrue(names.contains("best.nnst"), "best.nnst in " + names);
        Check.isTrue(names.stream().filter(n -> n.startsWith("ckpt-")).count() == 2,
            "keep_last 2: " + names);
      }
      try (Network fresh = Fixtures.classifier(77); Dataset train = data()) {
        Trainer t = new Trainer(fresh, new TrainerOptions().epochs(4).batchSize(8));
        Check.isTrue(t.resumeLatest(run), "found a checkpoint");
        Check.equal(5L, t.position().globalStep(), "resumed at step 5");
        t.fit(train, train);
        Check.equal(expected, fresh.getTensor("0.weight"), "identical to the uninterrupted run");
        Check.isTrue(!t.resumeLatest(dir.resolve("empty").toString()), "nothing to resume");
      }
    } finally {
      Fixtures.delete(dir);
    }
  }

  @Test
  public void badTrainerSetupsAreRefused() {
    try (Network bare = new Network(1).addLinear(3, 2)) {
      Check.fails(Status.STATE, () -> new Trainer(bare, new TrainerOptions()), "no optimizer");
    }
    try (Network net = Fixtures.classifier(5)) {
      Check.fails(Status.INVALID_ARGUMENT,
          () -> new Trainer(net, new TrainerOptions().batchSize(0)), "batch size 0");
      Check.fails(Status.INVALID_ARGUMENT, () -> new Trainer(null, new TrainerOptions()),
          "null network");
      Trainer t = new Trainer(net, new TrainerOptions());
      Check.fails(Status.INVALID_ARGUMENT, () -> t.setEpochs(-1), "negative epochs");
      Check.fails(Status.INVALID_ARGUMENT, () -> t.fit(null, null), "null data");
      try (Dataset wrong = new Dataset(new float[8], new float[2], 2)) {
        Check.fails(Status.SHAPE_MISMATCH, () -> t.fit(wrong, null), "4 inputs per sample");
      }
    }
    Check.fails(Status.SHAPE_MISMATCH, () -> new Dataset(new float[7], new float[2], 2),
        "7 inputs for 2 samples");
    Check.fails(Status.INVALID_ARGUMENT, () -> new Dataset(new float[0], new float[0], 0),
        "0 samples");
  }

  @Test
  public void aDatasetOverDirectBuffersTrainsLikeCopiedArrays() {
    float[][] weights = new float[2][];
    for (int i = 0; i < 2; ++i) {
      try (Network net = Fixtures.classifier(5);
          Dataset train = i == 0 ? data() : new Dataset(Fixtures.direct(Fixtures.xs()),
              Fixtures.direct(Fixtures.ys()), Fixtures.SAMPLES)) {
        new Trainer(net, new TrainerOptions().epochs(2).batchSize(8)).fit(train, null);
        weights[i] = net.getTensor("0.weight");
      }
    }
    Check.equal(weights[0], weights[1], "the same training");
    float[] x = Fixtures.xs();
    Dataset copied = new Dataset(x, Fixtures.ys(), Fixtures.SAMPLES);
    java.util.Arrays.fill(x, 100f); // the dataset owns its copy
    try (Network net = Fixtures.classifier(5); Network ref = Fixtures.classifier(5);
        Dataset clean = data()) {
      new Trainer(net, new TrainerOptions().epochs(1)).fit(copied, null);
      new Trainer(ref, new TrainerOptions().epochs(1)).fit(clean, null);
      Check.equal(ref.getTensor("0.weight"), net.getTensor("0.weight"), "copy taken at creation");
    }
    copied.close();
  }
}
