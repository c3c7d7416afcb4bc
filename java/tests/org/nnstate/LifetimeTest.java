package org.nnstate;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * No call can crash the JVM: every public method of every class holding a native handle is
 * called after close() (twice), after its dependency was closed, from a callback while fit
 * runs, in the wrong order, and after garbage collection in several orders. Each scenario runs
 * in a child JVM (LifetimeChild), so that a crash shows as a signal. The model is
 * python/tests/test_lifetime.py.
 */
public final class LifetimeTest {
  /** What a fit's callback may still do (read-only queries, the stop request). */
  static final Map<String, Set<String>> DURING_FIT_ALLOWED = Map.of(
      "Trainer", Set.of("warnings()", "requestStop()", "position()", "history()", "epochs()",
          "isClosed()", "network()", "toString()"),
      "Network", Set.of("isClosed()", "toString()"),
      "Dataset", Set.of("isClosed()", "toString()", "samples()"));

  static Map<String, String> runChild(String kind, String scenario) throws Exception {
    Path dir = Fixtures.tempDir();
    try {
      List<String> cmd = Fixtures.javaCommand("org.nnstate.LifetimeChild");
      cmd.addAll(List.of(kind, scenario, dir.toString()));
      StringBuilder out = new StringBuilder();
      int status = Fixtures.run(cmd, out, null);
      String last = null;
      Map<String, String> results = new TreeMap<>();
      for (String line : out.toString().split("\n")) {
        if (line.startsWith("calling ")) {
          last = line.substring(8);
        } else if (line.startsWith("result ")) {
          String[] parts = line.substring(7).split(" ", 2);
          results.put(parts[0], parts.length > 1 ? parts[1] : "");
        }
      }
      Check.equal(0, status, kind + "/" + scenario + ": the child ended with status " + status
          + " (134/139: a crash) while calling " + last + "\n" + out);
      return results;
    } finally {
      Fixtures.delete(dir);
    }
  }

  static String member(String name) {
    return name.substring(name.lastIndexOf('.', name.indexOf('(')) + 1);
  }

  @Test
  public void everyPublicMethodHasExampleArguments() {
    for (Class<?> cls : List.of(Network.class, Trainer.class, Dataset.class, Checkpoint.class)) {
      Set<String> missing = new HashSet<>(LifetimeChild.publicMethods(cls).keySet());
      missing.removeAll(LifetimeChild.CALLS.get(cls.getSimpleName()).keySet());
      Check.equal(Set.of(), missing, cls.getSimpleName() + ": add example arguments to CALLS");
    }
  }

  @Test
  public void closedObjectsRefuseEveryCall() throws Exception {
    for (String kind : List.of("Network", "Trainer", "Dataset", "Checkpoint")) {
      Map<String, String> results = runChild(kind, "closed");
      Check.isTrue(results.size() > 2 * 3, kind + ": too few results " + results);
      for (Map.Entry<String, String> e : results.entrySet()) {
        String expected = LifetimeChild.PURE.contains(member(e.getKey())) ? "ok" : "STATE";
        Check.equal(expected, e.getValue(), kind + "." + e.getKey() + " after close()");
      }
    }
  }

  @Test
  public void aTrainerOutlivingItsNetworkRefusesCalls() throws Exception {
    Map<String, String> results = runChild("Trainer", "dependency_closed");
    for (Map.Entry<String, String> e : results.entrySet()) {
      String expected = LifetimeChild.PURE.contains(member(e.getKey())) ? "ok" : "STATE";
      Check.equal(expected, e.getValue(), "Trainer." + e.getKey() + " after its network closed");
    }
  }

  @Test
  public void callsFromACallbackDuringFit() throws Exception {
    Map<String, String> results = runChild("Trainer", "during_fit");
    Check.equal("REQUESTED", results.remove("fit_after_callbacks"), "the callback stopped fit");
    Check.equal("ok", results.remove("network_usable_after_fit"), "the lease ends with fit");
    Check.equal("ok", results.remove("dataset_closable_after_fit"), "and the dataset's");
    List<String> kinds = new ArrayList<>();
    for (Map.Entry<String, String> e : results.entrySet()) {
      String kind = e.getKey().substring(0, e.getKey().indexOf('.'));
      kinds.add(kind);
      String expected = DURING_FIT_ALLOWED.get(kind).contains(member(e.getKey())) ? "ok"
          : "STATE";
      Check.equal(expected, e.getValue(), e.getKey() + " from a callback while fit runs");
    }
    Check.isTrue(kinds.containsAll(List.of("Trainer", "Network", "Dataset")), "all three kinds");
  }

  @Test
  public void callsInTheWrongOrderGiveLibraryErrors() throws Exception {
    Map<String, String> results = runChild("Network", "wrong_order");
    Check.equal("STATE", results.remove("trainer_without_optimizer"), "no optimizer");
    for (Map.Entry<String, String> e : results.entrySet()) {
      Check.isTrue(e.getValue().equals("ok") || e.getValue().equals("STATE")
          || e.getValue().startsWith("NnstateException"), e.getKey() + ": " + e.getValue());
    }
  }

  @Test
  public void garbageCollectionOrders() throws Exception {
    Map<String, String> results = runChild("Trainer", "collection_orders");
    Check.equal(Map.of("network_kept_alive_by_trainer", "true",
        "fit_with_unreferenced_network", "COMPLETED", "cleaner_freed_trainer", "true",
        "cleaner_freed_network", "true", "cleaner_freed_orphan_trainer", "true",
        "network_alive_after_its_trainer", "3", "third_alive_at_exit", "0"), results,
        "collection orders");
  }
}
