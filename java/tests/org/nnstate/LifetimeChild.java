package org.nnstate;

import java.lang.ref.WeakReference;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The child JVM of LifetimeTest: calls every public instance method of a class in one
 * scenario and prints "result NAME OUTCOME" lines (OUTCOME: ok, STATE, or what was thrown).
 * It runs in its own process so that a use-after-free shows as a signal, not a dead runner.
 * Methods are found by reflection: one without example arguments in CALLS fails LifetimeTest.
 */
public final class LifetimeChild {
  private LifetimeChild() {}

  /** What the example calls need: files written before the scenario starts. */
  record Fx(String trainerFile, String scratch, String directory, Dataset data) {}

  static final Map<String, Map<String, Function<Fx, Object[]>>> CALLS = new HashMap<>();

  private static void calls(String cls, Object... pairs) {
    Map<String, Function<Fx, Object[]>> m = new HashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      @SuppressWarnings("unchecked")
      Function<Fx, Object[]> f = (Function<Fx, Object[]>) pairs[i + 1];
      m.put((String) pairs[i], f);
    }
    CALLS.put(cls, m);
  }

  private static Function<Fx, Object[]> args(Object... values) {
    return fx -> values;
  }

  static {
    float[] x = Fixtures.xs();
    float[] y = Fixtures.ys();
    calls("Network",
        "addActivation(LayerKind)", args(LayerKind.RELU),
        "addAdaptiveAvgPool2d(long,long)", args(1L, 1L), "addAvgPool2d(long)", args(2L),
        "addBatchNorm(int,long,double,double,boolean,boolean)",
        args(1, 2L, 1e-5, 0.1, true, true),
        "addBatchNorm1d(long)", args(2L), "addBatchNorm2d(long)", args(2L),
        "addConv2d(Conv2dOptions)", (Function<Fx, Object[]>) fx -> new Object[] {
            new Conv2dOptions(1, 2, 3)},
        "addConv2d(long,long,long)", args(1L, 2L, 3L), "addDropout(double)", args(0.5),
        "addDropout2d(double)", args(0.5), "addEmbedding(long,long)", args(4L, 2L),
        "addFlatten()", args(), "addGelu()", args(), "addGelu(boolean)", args(true),
        "addIdentity()", args(), "addLayerNorm(long[])", args(new long[] {2}),
        "addLayerNorm(long[],double,boolean)", args(new long[] {2}, 1e-5, true),
        "addLeakyRelu()", args(), "addLeakyRelu(float)", args(0.1f),
        "addLinear(long,long)", args(3L, 4L), "addLinear(long,long,boolean)", args(3L, 4L, true),
        "addLogSoftmax(long)", args(1L), "addMaxPool2d(long)", args(2L),
        "addMaxPool2d(long,long,long,long,long,long)", args(2L, 2L, 0L, 0L, 0L, 0L),
        "addMerge(LayerKind,Object[])", args(LayerKind.ADD, new Object[] {-1, 0}),
        "addNode(Node)", (Function<Fx, Object[]>) fx -> new Object[] {Node.of("ReLU")},
        "addNode(String)", args("{\"kind\": \"ReLU\"}"), "addRelu()", args(),
        "addSigmoid()", args(), "addSoftmax(long)", args(1L), "addTanh()", args(),
        "close()", args(),
        "evaluate(FloatBuffer,FloatBuffer,long)", (Function<Fx, Object[]>) fx -> new Object[] {
            Fixtures.direct(x), Fixtures.direct(y), 24L},
        "evaluate(float[],float[],long)", args(x, y, 24L), "getTensor(String)", args("0.weight"),
        "deterministicChunkSize()", args(),
        "inputSize()", args(), "isClosed()", args(), "isTraining()", args(),
        "layerCount()", args(),
        "loadInto(String,LoadOptions)", (Function<Fx, Object[]>) fx -> new Object[] {
            fx.trainerFile(), null},
        "loadInto(byte[],LoadOptions)", args(new byte[64], null), "lr()", args(),
        "nodeJson(long)", args(0L), "outputSize()", args(), "parameterCount()", args(),
        "predict(FloatBuffer,long,FloatBuffer)", (Function<Fx, Object[]>) fx -> new Object[] {
            Fixtures.direct(x), 24L, Fixtures.direct(new float[48])},
        "predict(float[],long)", args(x, 24L),
        "save(String)", (Function<Fx, Object[]>) fx -> new Object[] {fx.scratch()},
        "save(String,SaveOptions)", (Function<Fx, Object[]>) fx -> new Object[] {fx.scratch(),
            SaveOptions.defaults()},
        "saveToBuffer(SaveOptions)", args((Object) null),
        "setDeterministic(long,int)", args(4L, 1),
        "setInputShape(long[])", args(new long[] {1, 4, 4}), "setLoss(Loss)", args(Loss.MSE),
        "setLr(double)", args(0.1),
        "setOptimizer(OptimizerOptions)", (Function<Fx, Object[]>) fx -> new Object[] {
            OptimizerOptions.sgd(0.1)},
        "setTensor(String,float[])", args("0.bias", new float[8]),
        "setTraining(boolean)", args(true), "tensors()", args(), "toString()", args(),
        "trainStep(FloatBuffer,FloatBuffer,long)", (Function<Fx, Object[]>) fx -> new Object[] {
            Fixtures.direct(x), Fixtures.direct(y), 24L},
        "trainStep(float[],float[],long)", args(x, y, 24L));
    calls("Trainer",
        "checkpointTo(String)", (Function<Fx, Object[]>) fx -> new Object[] {fx.directory()},
        "close()", args(), "epochs()", args(),
        "fit(Dataset,Dataset)", (Function<Fx, Object[]>) fx -> new Object[] {fx.data(), null},
        "fit(Dataset,Dataset,long)", (Function<Fx, Object[]>) fx -> new Object[] {fx.data(), null,
            3L},
        "flushSaves()", args(), "history()", args(), "isClosed()", args(), "network()", args(),
        "onBatch(Predicate)", args((Object) null), "onEpoch(Predicate)", args((Object) null),
        "position()", args(), "requestStop()", args(),
        "resume(String)", (Function<Fx, Object[]>) fx -> new Object[] {fx.trainerFile()},
        "resumeLatest(String)", (Function<Fx, Object[]>) fx -> new Object[] {fx.directory()},
        "save(String)", (Function<Fx, Object[]>) fx -> new Object[] {fx.scratch()},
        "save(String,SaveOptions)", (Function<Fx, Object[]>) fx -> new Object[] {fx.scratch(),
            null},
        "setCheckpointing(CheckpointPolicy)", (Function<Fx, Object[]>) fx -> new Object[] {
            new CheckpointPolicy(fx.directory())},
        "setEpochs(long)", args(4L), "toString()", args(), "warnings()", args());
    calls("Dataset", "close()", args(), "isClosed()", args(), "samples()", args(),
        "toString()", args());
    calls("Checkpoint", "close()", args(), "createdUnixNanos()", args(),
        "earlyStopping()", args(), "environment()", args(), "fields()", args(),
        "formatVersion()", args(), "history()", args(), "isClosed()", args(),
        "layerKinds()", args(), "loss()", args(), "metadata()", args(),
        "metadata(String)", args("key"), "optimizer()", args(), "optimizerOptions()", args(),
        "scheduler()", args(), "tensor(String)", args("0.weight"), "tensors()", args(),
        "toString()", args(), "trainer()", args(), "writerVersion()", args());
  }

  /** Members that never touch the native handle: they answer even when it is closed. */
  static final List<String> PURE = List.of("close()", "isClosed()", "toString()", "epochs()",
      "network()", "samples()");

  static String signature(Method m) {
    StringJoiner j = new StringJoiner(",", m.getName() + "(", ")");
    for (Class<?> p : m.getParameterTypes()) {
      j.add(p.getSimpleName());
    }
    return j.toString();
  }

  /** The public instance methods of `cls` (Object's own aside, toString included). */
  static Map<String, Method> publicMethods(Class<?> cls) {
    Map<String, Method> out = new TreeMap<>();
    for (Method m : cls.getMethods()) {
      if (!Modifier.isStatic(m.getModifiers())
          && (m.getDeclaringClass() != Object.class || m.getName().equals("toString"))) {
        out.put(signature(m), m);
      }
    }
    return out;
  }

  static String call(Object obj, String name, Method m, Fx fx) {
    System.out.println("calling " + obj.getClass().getSimpleName() + "." + name);
    System.out.flush();
    try {
      m.invoke(obj, CALLS.get(obj.getClass().getSimpleName()).get(name).apply(fx));
      return "ok";
    } catch (InvocationTargetException e) {
      Throwable t = e.getCause();
      if (t instanceof NnstateException n) {
        return n.status() == Status.STATE ? "STATE" : "NnstateException " + n.getMessage();
      }
      return t.getClass().getSimpleName() + ": " + t.getMessage();
    } catch (IllegalAccessException e) {
      return "IllegalAccessException";
    }
  }

  static void report(Object obj, Fx fx, Map<String, String> results, String prefix,
      List<String> skip) {
    for (Map.Entry<String, Method> e : publicMethods(obj.getClass()).entrySet()) {
      if (!skip.contains(e.getKey())) {
        results.put(prefix + e.getKey(), call(obj, e.getKey(), e.getValue(), fx));
      }
    }
  }

  static Fx fixtures(Path dir) {
    String trainerFile = dir.resolve("trainer.nnst").toString();
    Dataset data = new Dataset(Fixtures.xs(), Fixtures.ys(), Fixtures.SAMPLES);
    try (Network net = Fixtures.classifier(5)) {
      Trainer t = new Trainer(net, new TrainerOptions().epochs(1).batchSize(8));
      t.fit(data, null);
      t.save(trainerFile);
    }
    return new Fx(trainerFile, dir.resolve("scratch.nnst").toString(),
        dir.resolve("run").toString(), data);
  }

  static Object object(String kind, Fx fx) {
    switch (kind) {
      case "Network":
        return Fixtures.classifier(5);
      case "Trainer":
        return new Trainer(Fixtures.classifier(5), new TrainerOptions().epochs(2).batchSize(8));
      case "Dataset":
        return new Dataset(Fixtures.xs(), Fixtures.ys(), Fixtures.SAMPLES);
      default:
        return new Checkpoint(fx.trainerFile());
    }
  }

  /** Runs System.gc() until `done` holds; bounded by a number of rounds, not by time. */
  static boolean collectUntil(java.util.function.BooleanSupplier done) throws InterruptedException {
    for (int round = 0; round < 10000 && !done.getAsBoolean(); ++round) {
      System.gc();
      Thread.sleep(1); // lets the Cleaner's thread run the actions the collection enqueued
    }
    return done.getAsBoolean();
  }

  public static void main(String[] args) throws Exception {
    String kind = args[0];
    String scenario = args[1];
    Fx fx = fixtures(Path.of(args[2]));
    Map<String, String> results = new TreeMap<>();
    List<String> none = List.of();
    switch (scenario) {
      case "closed": {
        Object obj = object(kind, fx);
        ((AutoCloseable) obj).close();
        ((AutoCloseable) obj).close();
        report(obj, fx, results, "", none);
        report(obj, fx, results, "again.", none);
        break;
      }
      case "dependency_closed": {
        Trainer trainer;
        try (Network net = Fixtures.classifier(5)) {
          trainer = new Trainer(net, new TrainerOptions().epochs(2).batchSize(8));
        }
        report(trainer, fx, results, "", none);
        break;
      }
      case "during_fit": {
        Network net = Fixtures.classifier(5);
        Dataset train = new Dataset(Fixtures.xs(), Fixtures.ys(), Fixtures.SAMPLES);
        Trainer trainer = new Trainer(net, new TrainerOptions().epochs(2).batchSize(8));
        trainer.onBatch(info -> {
          if (results.isEmpty()) {
            Fx during = new Fx(fx.trainerFile(), fx.scratch(), fx.directory(), train);
            report(trainer, during, results, "Trainer.", none);
            report(net, during, results, "Network.", none);
            report(train, during, results, "Dataset.", none);
          }
          return true;
        });
        results.put("fit_after_callbacks", trainer.fit(train, null).toString());
        results.put("network_usable_after_fit", call(net, "parameterCount()",
            publicMethods(Network.class).get("parameterCount()"), fx));
        results.put("dataset_closable_after_fit", call(train, "close()",
            publicMethods(Dataset.class).get("close()"), fx));
        break;
      }
      case "collection_orders": {
        // A trainer keeps the network it borrows alive: nothing else refers to it here.
        Trainer trainer = new Trainer(Fixtures.classifier(5), new TrainerOptions().epochs(1));
        NativeHandle netHandle = trainer.network().handle;
        WeakReference<Network> netRef = new WeakReference<>(trainer.network());
        for (int round = 0; round < 3; ++round) {
          System.gc();
        }
        results.put("network_kept_alive_by_trainer", String.valueOf(netRef.get() != null));
        results.put("fit_with_unreferenced_network", String.valueOf(
            trainer.fit(fx.data(), null)));
        // Dropping the trainer lets the Cleaner free both, children first, without a close().
        NativeHandle trainerHandle = trainer.handle;
        trainer = null;
        results.put("cleaner_freed_trainer", String.valueOf(collectUntil(
            () -> !trainerHandle.alive())));
        results.put("cleaner_freed_network", String.valueOf(collectUntil(
            () -> !netHandle.alive())));
        // The network is collected while its trainer is alive only if the trainer is too.
        Network kept = Fixtures.classifier(6);
        Trainer orphan = new Trainer(kept, new TrainerOptions().epochs(1));
        NativeHandle orphanHandle = orphan.handle;
        orphan = null;
        results.put("cleaner_freed_orphan_trainer", String.valueOf(collectUntil(
            () -> !orphanHandle.alive())));
        results.put("network_alive_after_its_trainer", String.valueOf(kept.layerCount()));
        kept.close();
        // Objects still open at exit are fine: the process ends without running cleaners.
        Trainer third = new Trainer(Fixtures.classifier(7), new TrainerOptions().epochs(1));
        results.put("third_alive_at_exit", String.valueOf(third.position().epoch()));
        break;
      }
      case "wrong_order": {
        report(new Network(1), fx, results, "empty_network.", List.of("close()"));
        Network bare = new Network(1).addLinear(3, 2);
        try {
          new Trainer(bare, new TrainerOptions());
          results.put("trainer_without_optimizer", "ok");
        } catch (NnstateException e) {
          results.put("trainer_without_optimizer", e.statusName());
        }
        report(bare, fx, results, "bare_network.", List.of("close()"));
        break;
      }
      default:
        throw new IllegalArgumentException("unknown scenario " + scenario);
    }
    for (Map.Entry<String, String> e : results.entrySet()) {
      System.out.println("result " + e.getKey() + " " + e.getValue().replace('\n', ' '));
    }
    System.exit(0);
  }
}
