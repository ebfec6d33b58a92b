"""Shared helpers of the Python tests: paths, the command line, CSV readers and the
finite-difference tolerance |a - b| <= tol * max(|a|, |b|, 1) (the form of tests/fd.hpp)."""

import csv
import json
import os
import subprocess
import tempfile

import numpy as np

SOURCE_DIR = os.environ.get("PODSIM_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
CLI = os.environ.get("PODSIM_CLI", os.path.join(SOURCE_DIR, "build", "apps", "podsim"))
PENDULUM = os.path.join(SOURCE_DIR, "scenes", "pendulum_2d_stop.json")
CABLE = os.path.join(SOURCE_DIR, "scenes", "cable_pendulum_2d.json")
DOUBLE_3D = os.path.join(SOURCE_DIR, "scenes", "double_pendulum_3d_stop.json")


def scene_with_solver(path, directory, **solver):
    """A copy of scene `path` in `directory` with these Newton settings (docs/scene-format.md)."""
    scene = read_json(path)
    scene["solver"] = dict(scene.get("solver", {}), **solver)
    out = os.path.join(directory, "solver_" + os.path.basename(path))
    with open(out, "w") as f:
        json.dump(scene, f)
    return out


def run_cli(*args):
    """Runs `podsim ARGS`; returns the completed process (check=True)."""
    return subprocess.run([CLI, *args], check=True, capture_output=True, text=True)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def write_actions_csv(path, scene, actions):
    """actions (N, n_a) as podsim's --actions file (round-trip precision)."""
    d = scene.dim
    with open(path, "w") as f:
        f.write("step,handle,ax,ay,az\n")
        for t, row in enumerate(actions):
            for h, name in enumerate(scene.handle_names):
                a = list(row[h * d:(h + 1) * d]) + [0.0] * (3 - d)
                f.write(f"{t},{name}," + ",".join(repr(float(v)) for v in a) + "\n")


def read_json(path):
    with open(path) as f:
        return json.load(f)


def smooth_actions(scene, steps, seed, amplitude=0.6):
    """A smooth random action sequence (N, n_a) inside the limit (no clamped components)."""
    rng = np.random.default_rng(seed)
    t = np.arange(steps)[:, None]
    freq = rng.uniform(0.05, 0.3, size=(1, scene.action_dim))
    phase = rng.uniform(0, 2 * np.pi, size=(1, scene.action_dim))
    return amplitude * scene.action_limit * np.sin(freq * t + phase)


def assert_close(test, a, b, tol, what=""):
    """Every entry within tol * max(|a|, |b|, 1); returns the number of entries checked."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    test.assertEqual(a.shape, b.shape, what)
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1.0)
    err = np.abs(a - b) / scale
    worst = np.unravel_index(np.argmax(err), err.shape) if err.size else ()
    test.assertTrue(np.all(err <= tol), f"{what}: worst relative error {err.max() if err.size else 0:.3g} at {worst} "
                                        f"({a[worst] if err.size else ''} vs {b[worst] if err.size else ''}), tol {tol}")
    return a.size


class TempDir:
    def __enter__(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="podsim-pytest-")
        return self._tmp.name

    def __exit__(self, *exc):
        self._tmp.cleanup()
