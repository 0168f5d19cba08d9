"""Writing results: tables (Markdown, CSV, LaTeX), JSON, config, figures — atomically.

Every file is first written to a temporary file in its destination folder and
then moved into place with `os.replace`, which is atomic on POSIX and Windows:
a crash leaves either the previous file or the new one, never half of one.

Example:
>>> import pandas as pd, tempfile
>>> out = tempfile.mkdtemp()
>>> frame = pd.DataFrame({"ms_nsw": [0.41, 0.52]}, index=pd.Index(["A", "B"], name="strategy"))
>>> sorted(p.name for p in write_table(out, frame, caption="Demo").values())
['table.csv', 'table.md', 'table.tex']
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import os
import pathlib
import platform
import subprocess
import tempfile
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

PathLike = str | os.PathLike
FloatFormat = str | Callable[[float], str]

_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}"}


def atomic_write_with(path: PathLike, write: Callable[[str], Any]) -> pathlib.Path:
    """Calls `write(tmp_path)` on a temporary file beside `path`, then renames it onto `path`.

    A crash inside `write` removes the temporary file and leaves `path` as it was.

    Example:
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> atomic_write_with(p, lambda tmp: pathlib.Path(tmp).write_text("hi")).read_text()
    'hi'
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_write_bytes(path: PathLike, data: bytes) -> pathlib.Path:
    """Writes `data` to `path` through a temporary file in the same folder (fsynced).

    Example:
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> atomic_write_bytes(p, b"hi").read_bytes()
    b'hi'
    """
    def write(tmp: str) -> None:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())

    return atomic_write_with(path, write)


def atomic_write_text(path: PathLike, text: str) -> pathlib.Path:
    """`atomic_write_bytes` for UTF-8 text."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def _formatter(float_format: FloatFormat) -> Callable[[Any], str]:
    if isinstance(float_format, str):
        try:
            float_format % 1.0
        except (TypeError, ValueError) as err:
            raise ValueError(f"float_format {float_format!r} is not a %-format for one float") from err
        fmt = lambda x: float_format % x  # noqa: E731
    elif callable(float_format):
        fmt = float_format
    else:
        raise ValueError(f"float_format must be a %-format string or a callable, got {float_format!r}")

    def cell(value: Any) -> str:
        if isinstance(value, (float, np.floating)):
            return "nan" if math.isnan(value) else fmt(float(value))
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        return str(value)
    return cell


def _rows(frame: pd.DataFrame, cell: Callable[[Any], str]) -> tuple[list[str], list[list[str]]]:
    """Header and body cells, the index as the first column."""
    index_name = frame.index.name or ""
    header = [str(index_name)] + [str(c) for c in frame.columns]
    body = [[str(idx)] + [cell(v) for v in row]
            for idx, row in zip(frame.index, frame.itertuples(index=False, name=None))]
    return header, body


def to_markdown(frame: pd.DataFrame, caption: str = "", float_format: FloatFormat = "%.4f") -> str:
    """A GitHub Markdown table (index as the first column), caption above it in bold.

    Example:
    >>> print(to_markdown(pd.DataFrame({"a": [0.5]}, index=pd.Index(["x"], name="k"))))
    | k | a |
    |---|---:|
    | x | 0.5000 |
    <BLANKLINE>
    """
    cell = _formatter(float_format)
    header, body = _rows(frame, cell)
    escape = lambda s: s.replace("|", r"\|")  # noqa: E731
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    align = ["---"] + ["---:" if n else "---" for n in numeric]
    lines = [f"**{caption}**", ""] if caption else []
    lines.append("| " + " | ".join(escape(h) for h in header) + " |")
    lines.append("|" + "|".join(align) + "|")
    lines += ["| " + " | ".join(escape(c) for c in row) + " |" for row in body]
    return "\n".join(lines) + "\n"


def latex_escape(text: str) -> str:
    """Escapes LaTeX special characters.

    Example:
    >>> latex_escape("ms_nsw 50%")
    'ms\\\\_nsw 50\\\\%'
    """
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(text))


def to_latex(frame: pd.DataFrame, caption: str = "", label: str = "", float_format: FloatFormat = "%.4f") -> str:
    """A booktabs `table` environment (index as the first column)."""
    cell = _formatter(float_format)
    header, body = _rows(frame, cell)
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    spec = "l" + "".join("r" if n else "l" for n in numeric)
    lines = [r"\begin{table}[ht]", r"\centering"]
    if caption:
        lines.append(r"\caption{" + latex_escape(caption) + "}")
    if label:
        lines.append(r"\label{" + label + "}")
    lines += [r"\begin{tabular}{" + spec + "}", r"\toprule",
              " & ".join(latex_escape(h) for h in header) + r" \\", r"\midrule"]
    lines += [" & ".join(latex_escape(c) for c in row) + r" \\" for row in body]
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def write_table(out_dir: PathLike, frame: pd.DataFrame, name: str = "table", caption: str = "",
                float_format: FloatFormat = "%.4f") -> dict[str, pathlib.Path]:
    """Writes `frame` as `<name>.md`, `<name>.csv` (full precision) and `<name>.tex`.

    All three texts are rendered before any file is touched, and each file is
    replaced atomically.

    Args:
        out_dir: destination folder (created when missing).
        frame: the table; its index becomes the first column.
        name: file stem, without a path separator.
        caption: shown above the Markdown table and in `\\caption`.
        float_format: %-format or callable for floats in .md and .tex.

    Returns:
        {"md": path, "csv": path, "tex": path}.
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    if not name or "/" in name or os.sep in name or name.startswith("."):
        raise ValueError(f"table name must be a plain file stem, got {name!r}")
    out = pathlib.Path(out_dir)
    texts = {
        "md": to_markdown(frame, caption, float_format),
        "csv": frame.to_csv(index=True, index_label=frame.index.name or "index"),
        "tex": to_latex(frame, caption, label=f"tab:{out.name}:{name}", float_format=float_format),
    }
    return {ext: atomic_write_text(out / f"{name}.{ext}", text) for ext, text in texts.items()}


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (pathlib.Path, datetime.date, datetime.datetime)):
        return str(obj)
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    raise TypeError(f"object of type {type(obj).__name__} is not JSON serialisable: {obj!r}")


def write_json(path: PathLike, obj: Any) -> pathlib.Path:
    """Writes `obj` as indented JSON (numpy scalars and arrays allowed), atomically.

    Example:
    >>> import tempfile, pathlib, numpy as np
    >>> p = write_json(pathlib.Path(tempfile.mkdtemp()) / "m.json", {"x": np.float32(0.5)})
    >>> json.loads(p.read_text())
    {'x': 0.5}
    """
    try:
        text = json.dumps(obj, indent=2, sort_keys=True, default=_json_default, allow_nan=True)
    except TypeError as err:
        raise ValueError(str(err)) from err
    return atomic_write_text(path, text + "\n")


def package_versions() -> dict[str, str | None]:
    """Versions of python, tensorflow, keras, numpy and pandas (None when absent).

    Read from installed metadata, so TensorFlow is not imported.
    """
    from importlib import metadata
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for package in ("tensorflow", "keras", "numpy", "pandas"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def git_state(repo: PathLike | None = None) -> dict[str, Any]:
    """{"commit": sha or None, "dirty": bool or None} of the repository holding `repo`."""
    cwd = pathlib.Path(repo) if repo is not None else pathlib.Path(__file__).resolve().parent
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True,
                             timeout=10, check=True).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                                capture_output=True, text=True, timeout=10, check=True).stdout
        return {"commit": sha or None, "dirty": bool(status.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def write_config(out_dir: PathLike, flags: Mapping[str, Any], seed: Any,
                 data_fingerprint: str | None = None) -> pathlib.Path:
    """Writes `<out_dir>/config.json`: flags, seed, data fingerprint, versions, git commit.

    Example:
    >>> import tempfile
    >>> path = write_config(tempfile.mkdtemp(), {"trials": 10}, seed=0)
    >>> sorted(json.loads(path.read_text()))
    ['created_utc', 'data_fingerprint', 'flags', 'git', 'seed', 'versions']
    """
    if not isinstance(flags, Mapping):
        raise ValueError(f"flags must be a mapping of flag name to value, got {type(flags).__name__}")
    config = {
        "flags": dict(flags),
        "seed": seed,
        "data_fingerprint": data_fingerprint,
        "versions": package_versions(),
        "git": git_state(),
        "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    return write_json(pathlib.Path(out_dir) / "config.json", config)


def data_fingerprint(frame: pd.DataFrame) -> str:
    """A stable SHA-256 of a DataFrame's values, index, column names and dtypes.

    Equal frames give equal fingerprints in every process (pandas' row hash
    uses a fixed key); any changed value, row order, column or dtype changes it.

    Example:
    >>> a = pd.DataFrame({"x": [1, 2]})
    >>> data_fingerprint(a) == data_fingerprint(a.copy()), data_fingerprint(a) == data_fingerprint(a[::-1])
    (True, False)
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    digest = hashlib.sha256()
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    digest.update(repr(list(frame.index.names)).encode())
    digest.update(str(frame.shape).encode())
    rows = pd.util.hash_pandas_object(frame, index=True).to_numpy()
    digest.update(rows.astype("<u8").tobytes())
    return digest.hexdigest()


def save_figure(fig: Any, path: PathLike, dpi: int = 150) -> pathlib.Path:
    """Saves a matplotlib figure as PNG, atomically.

    Example:
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, tempfile, pathlib
    >>> fig = plt.figure(); p = save_figure(fig, pathlib.Path(tempfile.mkdtemp()) / "f.png"); plt.close(fig)
    >>> p.read_bytes()[:4]
    b'\\x89PNG'
    """
    path = pathlib.Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"figure path must end in .png, got {str(path)!r}")
    if not hasattr(fig, "savefig"):
        raise ValueError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    import io
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return atomic_write_bytes(path, buffer.getvalue())
