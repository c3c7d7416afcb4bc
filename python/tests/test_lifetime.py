"""No call can crash the interpreter: every public method and property of every class that
holds a native handle is called after close() (twice), after its dependency was closed, while
a fit runs (from a callback), and after garbage collection in several orders. Each scenario
runs in a child process, so that a crash shows as a signal, not as a dead test runner.

The methods are found by introspection: a public method added later without an entry in
CALLS fails test_every_public_member_has_example_arguments until it is covered."""
import inspect
import json
import os
import subprocess
import sys
import tempfile
import unittest

import nnstate

HERE = os.path.dirname(os.path.abspath(__file__))
XS = [[float(i % 3), float(i % 5) / 5, float(i % 2)] for i in range(24)]
YS = [i % 2 for i in range(24)]

# Example arguments of every public member, by class: name -> function(fixtures) -> args.
# Properties are read (and `lr` also assigned).
NETWORK_CALLS = {
    "add_linear": lambda f: (3, 4), "add_activation": lambda f: ("relu",),
    "add_relu": lambda f: (), "add_tanh": lambda f: (), "add_sigmoid": lambda f: (),
    "add_gelu": lambda f: (), "add_leaky_relu": lambda f: (),
    "set_input_shape": lambda f: ((1, 4, 4),), "add_conv2d": lambda f: (1, 2, 3),
    "add_max_pool2d": lambda f: (2,), "add_flatten": lambda f: (),
    "add_batch_norm1d": lambda f: (2,), "add_batch_norm2d": lambda f: (2,),
    "add_dropout": lambda f: (0.5,), "add_layer_norm": lambda f: (2,),
    "train": lambda f: (), "eval": lambda f: (), "training": None,
    "set_loss": lambda f: ("mse",), "set_optimizer": lambda f: ("sgd",),
    "input_size": None, "output_size": None, "layer_count": None, "parameter_count": None,
    "lr": None, "tensors": lambda f: (), "get_tensor": lambda f: ("0.weight",),
    "set_tensor": lambda f: ("0.bias", [0.0] * 8), "train_step": lambda f: (XS, YS),
    "evaluate": lambda f: (XS, YS), "predict": lambda f: (XS,), "summary": lambda f: (None,),
    "handle": None, "closed": None, "close": lambda f: (),
    "add": lambda f: ("ReLU",), "to_json": lambda f: (), "nodes": None, "input": None,
    "from_json": lambda f: ('{"nodes": []}',),
    "save_safetensors": lambda f: (f["scratch"],),
    "load_safetensors": lambda f: (f["safetensors_file"],),
    "load_partial": lambda f: (f["trainer_file"],), "state_dict": lambda f: (),
    "load_state_dict": lambda f: ({},),
    "freeze": lambda f: ("0",), "unfreeze": lambda f: ("0",), "frozen": None,
    "frozen_batchnorm_eval": None, "deterministic": None,
    "set_deterministic": lambda f: (4, 1), "param_groups": None, "set_group_lr": lambda f: (0, 0.1),
}
TRAINER_CALLS = {
    "fit": lambda f: ((XS, YS),), "save": lambda f: (f["scratch"],),
    "resume": lambda f: (f["trainer_file"],),
    "checkpoint_to": lambda f: (f["directory"],), "resume_latest": lambda f: (f["directory"],),
    "warnings": None, "request_stop": lambda f: (), "position": None, "history": None,
    "epochs": None, "closed": None, "close": lambda f: (), "rollbacks": None,
    "flush_saves": lambda f: (), "save_stats": None,
}
DATASET_CALLS = {"close": lambda f: ()}
CHECKPOINT_CALLS = {
    "format_version": None, "writer_version": None, "tensors": lambda f: (),
    "tensor": lambda f: ("0.weight",), "optimizer": None, "metadata": None,
    "layer_kinds": None, "layers": lambda f: (), "loss": None, "optimizer_options": None,
    "environment": None, "trainer": None, "history": None, "scheduler": None,
    "early_stopping": None, "close": lambda f: (), "network_json": lambda f: (),
}
CALLS = {"Network": NETWORK_CALLS, "Trainer": TRAINER_CALLS, "Dataset": DATASET_CALLS,
         "Checkpoint": CHECKPOINT_CALLS}
# Members that never touch the native handle: they answer even when it is closed.
PURE = {"closed", "close", "epochs", "input", "from_json"}
# What a fit's callback may still do with its own trainer (read-only or the stop request).
DURING_FIT_ALLOWED = {"Trainer": {"warnings", "request_stop", "position", "history", "epochs",
                                  "closed", "rollbacks", "save_stats"},
                      "Network": {"closed", "input", "from_json"}, "Dataset": set()}


def public_members(cls):
    return sorted(name for name, _ in inspect.getmembers(cls)
                  if not name.startswith("_") and name not in vars(object))


# ---------------------------------------------------------------- the child process
def classifier(seed=5):
    net = nnstate.Network(seed=seed).add_linear(3, 8).add_relu().add_linear(8, 2)
    return net.set_loss("cross_entropy").set_optimizer("adam", lr=0.02)


def fixtures(directory):
    trainer_file = os.path.join(directory, "trainer.nnst")
    with classifier() as net:
        trainer = nnstate.Trainer(net, epochs=1, batch_size=8)
        trainer.fit((XS, YS), verbose=0)
        trainer.save(trainer_file)
        net.save_safetensors(os.path.join(directory, "weights.safetensors"))
    return {"trainer_file": trainer_file, "scratch": os.path.join(directory, "scratch.nnst"),
            "safetensors_file": os.path.join(directory, "weights.safetensors"),
            "directory": os.path.join(directory, "run")}


def call(obj, name, fx):
    """Calls one member; returns "ok", "STATE" (NnstateError status STATE) or the error."""
    print(json.dumps({"calling": f"{type(obj).__name__}.{name}"}), flush=True)
    try:
        maker = CALLS[type(obj).__name__][name]
        if maker is None:
            getattr(obj, name)
            if name == "lr":
                obj.lr = 0.1
        else:
            getattr(obj, name)(*maker(fx))
        return "ok"
    except nnstate.NnstateError as e:
        return "STATE" if e.status_name == "STATE" else f"NnstateError {e}"
    except Exception as e:  # noqa: BLE001 -- reported to the parent, which judges it
        return f"{type(e).__name__}: {e}"


def report(obj, fx, results, prefix="", skip=()):
    for name in public_members(type(obj)):
        if name not in skip:
            results[prefix + name] = call(obj, name, fx)
    results[prefix + "__repr__"] = "ok" if isinstance(repr(obj), str) else "repr not a string"


def objects(kind, fx):
    """The object of `kind` with what it depends on (all alive)."""
    net = classifier()
    if kind == "Network":
        return net, [net]
    if kind == "Trainer":
        return nnstate.Trainer(net, epochs=2, batch_size=8), [net]
    if kind == "Dataset":
        return nnstate.Dataset(XS, YS), []
    return nnstate.Checkpoint(fx["trainer_file"]), []


def child(kind, scenario, directory):
    fx = fixtures(directory)
    results = {}
    if scenario == "closed":
        obj, _deps = objects(kind, fx)
        obj.close()
        obj.close()
        report(obj, fx, results)
        report(obj, fx, results, "again.")
    elif scenario == "dependency_closed":  # the README pattern: leave `with Network()`
        with classifier() as net:
            trainer = nnstate.Trainer(net, epochs=2, batch_size=8)
        report(trainer, fx, results)
        del net
        import gc
        gc.collect()
        report(trainer, fx, results, "after_gc.")
    elif scenario == "during_fit":
        net = classifier()
        train = nnstate.Dataset(XS, YS)
        holder = {}

        def on_batch(_info):
            if not results:
                report(holder["trainer"], fx, results, "Trainer.")
                report(net, fx, results, "Network.")
                report(train, fx, results, "Dataset.")
            return True
        holder["trainer"] = nnstate.Trainer(net, epochs=2, batch_size=8, on_batch=on_batch)
        history = holder["trainer"].fit(train, verbose=0)
        results["fit_after_callbacks"] = history.stop_reason
        results["network_usable_after_fit"] = call(net, "parameter_count", fx)
    elif scenario == "collection_orders":
        import gc
        net = classifier()
        trainer = nnstate.Trainer(net, epochs=1, batch_size=8)
        del net  # the trainer keeps its network alive
        gc.collect()
        results["fit_after_del_network"] = call(trainer, "fit", fx)
        loaded = nnstate.load(fx["trainer_file"])
        second = nnstate.Trainer(loaded, epochs=1, batch_size=8)
        results["second_before_del"] = call(second, "position", fx)
        del second
        gc.collect()
        loaded.close()
        third = nnstate.Trainer(classifier(), epochs=1, batch_size=8)
        results["third_alive_at_exit"] = call(third, "position", fx)
        # `trainer` and `third` are still alive at exit: their finalizers run in reverse
        # order of creation, trainers before the networks they hold.
    elif scenario == "wrong_order":  # calls on objects that are not set up yet
        report(nnstate.Network(), fx, results, "empty_network.", skip={"close"})
        bare = nnstate.Network().add_linear(3, 2)  # no loss, no optimizer
        try:
            nnstate.Trainer(bare)
            results["trainer_without_optimizer"] = "ok"
        except nnstate.NnstateError as e:
            results["trainer_without_optimizer"] = e.status_name
        report(bare, fx, results, "bare_network.", skip={"close"})
        trainer = nnstate.Trainer(classifier(), epochs=1, batch_size=8)
        plain = os.path.join(directory, "plain.nnst")
        nnstate.save(trainer.network, plain)
        results["resume_from_a_network_checkpoint"] = call(trainer, "resume", {
            "trainer_file": plain})
        results["save_before_fit"] = call(trainer, "save", fx)
        with open(plain, "r+b") as f:  # a checkpoint that is not one
            f.write(b"garbage!")
        try:
            nnstate.Checkpoint(plain)
            results["open_garbage"] = "ok"
        except nnstate.NnstateError as e:
            results["open_garbage"] = e.status_name
    print(json.dumps({"results": results}), flush=True)


# ---------------------------------------------------------------- the tests
class LifetimeTest(unittest.TestCase):
    def run_child(self, kind, scenario):
        with tempfile.TemporaryDirectory() as directory:
            run = subprocess.run([sys.executable, os.path.abspath(__file__), kind, scenario,
                                  directory], capture_output=True, text=True, timeout=600)
        lines = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
        last = next((line["calling"] for line in reversed(lines) if "calling" in line), None)
        self.assertEqual(run.returncode, 0,
                         f"{kind}/{scenario}: the child ended with status {run.returncode} "
                         f"(a negative status is a signal) while calling {last}\n{run.stderr}")
        return lines[-1]["results"]

    def test_every_public_member_has_example_arguments(self):
        for cls in (nnstate.Network, nnstate.Trainer, nnstate.Dataset, nnstate.Checkpoint):
            self.assertEqual(set(public_members(cls)) - set(CALLS[cls.__name__]), set(),
                             f"{cls.__name__}: add example arguments to CALLS")

    def test_closed_objects_refuse_every_call(self):
        for kind in CALLS:
            with self.subTest(kind=kind):
                results = self.run_child(kind, "closed")
                for name, outcome in results.items():
                    member = name.split(".")[-1]
                    expected = "ok" if member in PURE or member == "__repr__" else "STATE"
                    self.assertEqual(outcome, expected, f"{kind}.{name} after close()")

    def test_trainer_outliving_its_network_refuses_calls(self):
        results = self.run_child("Trainer", "dependency_closed")
        for name, outcome in results.items():
            member = name.split(".")[-1]
            expected = "ok" if member in PURE or member == "__repr__" else "STATE"
            self.assertEqual(outcome, expected, f"Trainer.{name} after its network was closed")

    def test_calls_from_a_callback_during_fit(self):
        results = self.run_child("Trainer", "during_fit")
        self.assertEqual(results.pop("fit_after_callbacks"), "requested")
        self.assertEqual(results.pop("network_usable_after_fit"), "ok")
        for name, outcome in results.items():
            kind, member = name.split(".")
            expected = ("ok" if member in DURING_FIT_ALLOWED[kind] or member == "__repr__"
                        else "STATE")
            self.assertEqual(outcome, expected, f"{name} from a callback while fit runs")

    def test_calls_in_the_wrong_order(self):
        results = self.run_child("Network", "wrong_order")
        self.assertEqual(results.pop("trainer_without_optimizer"), "STATE")
        self.assertEqual(results.pop("resume_from_a_network_checkpoint"), "STATE")
        self.assertEqual(results.pop("save_before_fit"), "ok")
        self.assertEqual(results.pop("open_garbage"), "CORRUPT")
        for name, outcome in results.items():  # a library error, never a Python one
            self.assertTrue(outcome == "ok" or outcome == "STATE"
                            or outcome.startswith("NnstateError"), f"{name}: {outcome}")

    def test_garbage_collection_orders(self):
        results = self.run_child("Trainer", "collection_orders")
        self.assertEqual(results, {"fit_after_del_network": "ok", "second_before_del": "ok",
                                   "third_alive_at_exit": "ok"})


if __name__ == "__main__":
    child(*sys.argv[1:4])
