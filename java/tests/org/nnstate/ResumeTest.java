package org.nnstate;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Kill and resume: a child JVM (ThreeClusters) SIGKILLs itself after a given step (triggered by
 * progress, in its batch callback), is started again in the same directory until it finishes,
 * and its final checkpoint is identical (`nnstate diff`, every tensor bitwise) to an
 * uninterrupted run's.
 */
public final class ResumeTest {
  static int child(Path dir, StringBuilder out, long crashAfter) throws Exception {
    List<String> cmd = Fixtures.javaCommand("org.nnstate.ThreeClusters");
    cmd.add(dir.toString());
    if (crashAfter > 0) {
      cmd.add("--crash-after-steps");
      cmd.add(Long.toString(crashAfter));
    }
    return Fixtures.run(cmd, out, null);
  }

  @Test
  public void killedRunsResumeToTheUninterruptedResult() throws Exception {
    Path dir = Fixtures.tempDir();
    try {
      Path straight = dir.resolve("straight");
      StringBuilder out = new StringBuilder();
      Check.equal(0, child(straight, out, 0), "uninterrupted run:\n" + out);
      Path run = dir.resolve("run");
      // Kills mid-epoch, right after a periodic checkpoint (step 40) and just before one (59).
      long[] kills = {7, 23, 40, 59, 101};
      long resumedAt = 0;
      for (long step : kills) {
        out.setLength(0);
        int status = child(run, out, step);
        Check.equal(128 + 9, status, "the child SIGKILLed itself at step " + step + ":\n" + out);
        Check.contains(out.toString(), "simulating a crash at step " + step, "crash " + step);
        // Checkpoints are written every 10 steps: the kill at 7 leaves none behind.
        Check.equal(resumedAt >= 10, out.toString().contains("resumed at"),
            "resumed before the crash at " + step + ":\n" + out);
        resumedAt = step;
        Check.isTrue(!Files.exists(run.resolve("final.nnst")), "no final file yet");
      }
      out.setLength(0);
      Check.equal(0, child(run, out, 0), "the last run:\n" + out);
      Check.contains(out.toString(), "resumed at epoch 5, step 100", "from the newest file");
      InteropTest.sameState(straight.resolve("final.nnst").toString(),
          run.resolve("final.nnst").toString());
    } finally {
      Fixtures.delete(dir);
    }
  }
}
