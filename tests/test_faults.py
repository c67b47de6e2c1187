"""Fault injection: a training process killed with SIGKILL between epochs resumes to the uninterrupted result."""

import json
import signal
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent('''
    import json, os, signal, sys
    import keras, numpy as np
    from mnist_studies import training

    run_dir, kill_at = sys.argv[1], int(sys.argv[2])

    class Kill(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)  # no cleanup, no exception: the process is gone

    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 6)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int64")
    training.set_seed(1)
    inputs = keras.Input((6,))
    h = keras.layers.Dropout(0.2)(keras.layers.Dense(12, activation="relu")(inputs))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(h))
    model.compile(optimizer=training.make_optimizer("adam", 1e-2), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    result = training.fit(model, x, y, epochs=5, batch_size=32, seed=2, run_dir=run_dir, verbose=0,
                          callbacks=[Kill()] if kill_at >= 0 else [])
    print(json.dumps({"history": result.history, "resumed_from": result.resumed_from_epoch,
                      "weights": [w.tolist() for w in model.get_weights()]}))
''')


def _run(tmp_path, run_dir, kill_at):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    return subprocess.run([sys.executable, str(script), str(run_dir), str(kill_at)], capture_output=True, text=True,
                          timeout=300)


@pytest.mark.slow
def test_a_training_process_killed_between_epochs_resumes_where_it_stopped(tmp_path):
    straight = _run(tmp_path, tmp_path / "straight", -1)
    assert straight.returncode == 0, straight.stderr[-2000:]
    killed = _run(tmp_path, tmp_path / "killed", 2)
    assert killed.returncode == -signal.SIGKILL
    assert (tmp_path / "killed" / "backup").is_dir()
    resumed = _run(tmp_path, tmp_path / "killed", -1)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    a, b = json.loads(straight.stdout.splitlines()[-1]), json.loads(resumed.stdout.splitlines()[-1])
    assert b["resumed_from"] == 2  # epochs 0 and 1 were backed up; epoch 2 was logged but killed before its backup
    assert b["history"] == a["history"] and len(b["history"]["loss"]) == 5
    assert b["weights"] == a["weights"]


@pytest.mark.slow
def test_make_reproduce_killed_in_a_notebook_leaves_nothing_finished_and_the_rerun_resumes(tmp_path,
                                                                                            isolated_outputs):
    import os
    import time

    out = tmp_path / "outputs"
    command = [sys.executable, "-m", "mnist_studies.reproduce", "--profile", "smoke", "--only", "00",
               "--output-dir", str(out), "--no-report"]
    runner = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env=os.environ.copy())
    partial = out / "00_mnist_data.partial.ipynb"
    deadline = time.monotonic() + 120
    while not partial.exists() and time.monotonic() < deadline and runner.poll() is None:
        time.sleep(0.2)
    assert partial.exists(), "the notebook never started"
    runner.send_signal(signal.SIGTERM)  # as `kill` or a closed terminal would
    runner.wait(timeout=60)
    assert runner.returncode != 0
    said = runner.stdout.read()
    assert "stopped: 00_mnist_data was interrupted" in said and "ONLY=00" in said and "Traceback" not in said
    assert not (out / "00_mnist_data.ipynb").exists() and not partial.exists()  # nothing looks finished
    stamp = json.loads((isolated_outputs["results"] / "smoke" / "mnist_data" / "reproduce.stamp").read_text())
    sitting = json.loads((isolated_outputs["runs"] / "smoke" / "mnist_data" / "sitting.json").read_text())
    assert stamp["state"] == "running" and sitting["spent_seconds"] > 0  # the time spent is kept for the total

    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    assert "00_mnist_data: resuming the interrupted run" in again.stdout and (out / "00_mnist_data.ipynb").exists()
    third = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert "00_mnist_data: up to date" in third.stdout  # finished: not run a third time
