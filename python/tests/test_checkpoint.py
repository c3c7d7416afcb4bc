"""Checkpoints through the Python binding: save/load/verify/inspect and trainer resume."""
import os
import shutil
import tempfile
import unittest

import nnstate
from test_binding import blobs, classifier, flat


class CheckpointTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_save_load_verify_inspect(self):
        xs, ys = blobs(64)
        path = os.path.join(self.dir, "net.nnst")
        with classifier() as net:
            for _ in range(3):
                net.train_step(xs, ys)
            nnstate.save(net, path, metadata={"lr": "0.02", "note": "test"})
            expected = flat(net.predict(xs))
        nnstate.verify(path)
        with nnstate.load(path) as loaded:
            self.assertEqual(flat(loaded.predict(xs)), expected)
        with nnstate.Checkpoint(path) as ckpt:
            self.assertEqual(ckpt.format_version[0], 1)
            self.assertEqual(ckpt.writer_version, nnstate.__version__)
            self.assertEqual(ckpt.optimizer, ("adam", 3))
            self.assertEqual(ckpt.metadata, {"lr": "0.02", "note": "test"})
            tensors = ckpt.tensors()
            self.assertEqual(tensors["0.weight"], ((8, 3), "parameter"))
            self.assertEqual(tensors["optimizer.0.weight.exp_avg"], ((8, 3), "optimizer_state"))
        with open(path, "r+b") as f:  # one flipped bit is refused with a message
            f.seek(100)
            byte = f.read(1)
            f.seek(100)
            f.write(bytes([byte[0] ^ 1]))
        with self.assertRaises(nnstate.NnstateError) as caught:
            nnstate.verify(path)
        self.assertEqual(caught.exception.status_name, "CORRUPT")

    def test_trainer_checkpoint_directory_resume_is_exact(self):
        xs, ys = blobs(96)
        vx, vy = blobs(32, seed=9)

        def trainer_for(net, directory):
            trainer = nnstate.Trainer(
                net, epochs=6, batch_size=16,
                scheduler=nnstate.Scheduler("reduce_on_plateau", patience=0, factor=0.5),
                early_stopping=nnstate.EarlyStopping(patience=3, restore_best_weights=True))
            trainer.checkpoint_to(directory, every_steps=4, fsync=False)
            return trainer

        with classifier() as net:
            reference = trainer_for(net, os.path.join(self.dir, "ref"))
            reference.fit((xs, ys), (vx, vy))
            expected = flat(net.get_tensor("0.weight")), [r["val_loss"] for r in reference.history]

        run_dir = os.path.join(self.dir, "run")
        with classifier() as net:
            interrupted = nnstate.Trainer(net, epochs=6, batch_size=16,
                                          scheduler=nnstate.Scheduler("reduce_on_plateau",
                                                                      patience=0, factor=0.5),
                                          early_stopping=nnstate.EarlyStopping(
                                              patience=3, restore_best_weights=True),
                                          on_batch=lambda info: info["global_step"] >= 10)
            interrupted.checkpoint_to(run_dir, every_steps=4, fsync=False)
            self.assertEqual(interrupted.fit((xs, ys), (vx, vy)).stop_reason, "requested")
        self.assertTrue(any(n.startswith("ckpt-") for n in os.listdir(run_dir)))
        with classifier(seed=77) as fresh:  # another seed: everything comes from the file
            resumed = trainer_for(fresh, run_dir)
            self.assertTrue(resumed.resume_latest(run_dir))
            self.assertEqual(resumed.position[1], 10)
            resumed.fit((xs, ys), (vx, vy))
            actual = flat(fresh.get_tensor("0.weight")), [r["val_loss"] for r in resumed.history]
        self.assertEqual(actual, expected)
        self.assertTrue(os.path.exists(os.path.join(run_dir, "best.nnst")))
        nnstate.verify(os.path.join(run_dir, "best.nnst"))

    def test_async_saves_write_the_same_checkpoints_as_sync(self):
        xs, ys = blobs(96)
        runs = {}
        for mode in ("sync", "async"):
            directory = os.path.join(self.dir, mode)
            with classifier() as net:
                trainer = nnstate.Trainer(net, epochs=3, batch_size=16)
                trainer.checkpoint_to(directory, every_steps=4, keep_last=0, monitor="loss",
                                      fsync=False, async_save=(mode == "async"))
                trainer.fit((xs, ys))
                trainer.flush_saves()
                stats = trainer.save_stats
                runs[mode] = (flat(net.get_tensor("0.weight")), sorted(os.listdir(directory)),
                              stats)
        self.assertEqual(runs["async"][0], runs["sync"][0])
        self.assertEqual(runs["async"][1], runs["sync"][1])
        async_stats, sync_stats = runs["async"][2], runs["sync"][2]
        self.assertEqual(async_stats["completed"], sync_stats["completed"])
        self.assertGreater(async_stats["completed"], 3)
        self.assertEqual(async_stats["failed"], 0)
        self.assertEqual(async_stats["in_flight"], 0)
        self.assertGreater(async_stats["staging_peak_bytes"], 0)
        self.assertEqual(sync_stats["staging_peak_bytes"], 0)
        with classifier() as net:
            trainer = nnstate.Trainer(net, epochs=1)
            with self.assertRaises(ValueError):
                trainer.checkpoint_to(self.dir, when_busy="later")


if __name__ == "__main__":
    unittest.main()
