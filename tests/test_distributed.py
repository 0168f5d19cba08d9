"""Two workers train one model with MultiWorkerMirroredStrategy over loopback (TF_CONFIG)."""

import json
import os
import pathlib
import socket
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]

WORKER = """
import json, sys, types
import numpy as np
sys.path.insert(0, "tests")
import test_training as t
from ms_bridge import training
from ms_bridge.task import MultiObjectiveTask

prepared = types.SimpleNamespace(train=t.tiny_frame(512, 0), val=t.tiny_frame(128, 1), spec=t.SPEC, vocab=t.VOCAB)
config = training.TrainConfig(epochs=2, batch_size=64, steps_per_epoch=2, patience=0, seed=5, verbose=0,
                              strategy="multi_worker", checkpoint_dir=sys.argv[1])
result = training.fit(t.tiny_builder, prepared, MultiObjectiveTask(t.SPEC), config,
                      make_dataset=t.tiny_make_dataset)
strategy = result.model.distribute_strategy
print("RESULT " + json.dumps({
    "replicas": strategy.num_replicas_in_sync,
    "steps": int(result.model.optimizer.iterations.numpy()),
    "val_loss": result.history["val_loss"],
    "weights": [float(np.abs(v.numpy()).sum()) for v in result.model.trainable_variables]}))
"""


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_two_workers_on_loopback_train_the_same_model(tmp_path):
    workers = [f"127.0.0.1:{p}" for p in free_ports(2)]
    procs = []
    for index in range(2):
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="",
                   TF_CONFIG=json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}))
        procs.append(subprocess.Popen([sys.executable, "-c", WORKER, str(tmp_path / "ckpt")], cwd=REPO, env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    results = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=240)
            lines = [line for line in out.splitlines() if line.startswith("RESULT ")]
            assert proc.returncode == 0 and lines, err[-4000:]
            results.append(json.loads(lines[-1][len("RESULT "):]))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    chief, other = results
    assert chief["replicas"] == other["replicas"] == 2
    assert chief["steps"] == other["steps"] == 4  # 2 epochs x 2 steps, in lockstep
    # All-reduced gradients keep the replicas identical; validation loss is the global one.
    assert chief["weights"] == other["weights"]
    assert chief["val_loss"] == other["val_loss"] and all(v == v for v in chief["val_loss"])
    # Only the chief (worker 0) writes checkpoints.
    state = json.loads((tmp_path / "ckpt" / "state.json").read_text())
    assert state["epoch"] == 1
