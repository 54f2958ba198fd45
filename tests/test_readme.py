"""Every ```python block of README.md runs as written, each on its own, in a fresh process.

How blocks are found: a line that is exactly ```python (or ```py) opens a block, the next
line that is exactly ``` closes it; indented or other-language fences (```bash, ```text) are
not run. Each block runs as a script with a temporary folder as its working directory (files
it writes land there), with this checkout on PYTHONPATH and MINIDL_DATA as set for the tests.

Opting a block out: put this HTML comment (invisible on GitHub) on the line right before its
fence, with the reason, for blocks that need hardware or a launcher CI does not have::

    <!-- no-test: needs a CUDA GPU -->
    ```python
    model.to("cuda")
    ```

A block that mentions MNIST is skipped (not failed) when the MNIST files are not available.
"""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, "README.md")
RUN_LANGUAGES = ("python", "py")
NO_TEST = re.compile(r"^\s*<!--\s*no-test:\s*(?P<reason>\S.*?)\s*-->\s*$")
OPENING = re.compile(r"^```(?P<lang>[\w+-]*)\s*$")


def code_blocks(text):
    """``[(line number, language, code, opt-out reason or None)]`` of the fenced blocks."""
    blocks = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = OPENING.match(lines[i])
        if not match:
            i += 1
            continue
        start = i
        previous = next((lines[j] for j in range(start - 1, -1, -1) if lines[j].strip()), "")
        marker = NO_TEST.match(previous)
        body = []
        i += 1
        while i < len(lines) and lines[i].rstrip() != "```":
            body.append(lines[i])
            i += 1
        if i == len(lines):
            raise ValueError(f"README.md:{start + 1}: code block never closed")
        blocks.append((start + 1, match.group("lang").lower(), "\n".join(body) + "\n",
                       marker.group("reason") if marker else None))
        i += 1
    return blocks


def _readme():
    with open(README, encoding="utf-8") as f:
        return f.read()


PYTHON_BLOCKS = [b for b in code_blocks(_readme()) if b[1] in RUN_LANGUAGES]


def _mnist_available():
    root = os.environ.get("MINIDL_DATA")
    return bool(root) and any(os.path.isfile(os.path.join(root, "mnist", name)) for name in
                              ("t10k-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte"))


@pytest.mark.parametrize("line, lang, code, reason", PYTHON_BLOCKS,
                         ids=[f"line{b[0]}" for b in PYTHON_BLOCKS])
def test_readme_python_block_runs(line, lang, code, reason, tmp_path):
    if reason is not None:
        pytest.skip(f"README.md:{line} opted out: {reason}")
    if "mnist" in code.lower() and not _mnist_available():
        pytest.skip("MINIDL_DATA has no mnist/ files")
    script = tmp_path / f"readme_line{line}.py"
    script.write_text(code, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
               MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, (f"README.md:{line}: the block failed\n--- code ---\n{code}"
                                  f"--- stderr ---\n{proc.stderr[-4000:]}")


def test_there_are_python_blocks_and_each_opt_out_gives_a_reason():
    assert len(PYTHON_BLOCKS) >= 4
    text = "<!-- no-test: needs a GPU -->\n```python\nx = 1\n```\n\n```python\ny = 2\n```\n"
    assert [(b[1], b[3]) for b in code_blocks(text)] == [("python", "needs a GPU"),
                                                        ("python", None)]
    # a marker without a reason is not a marker: the block runs
    assert code_blocks("<!-- no-test: -->\n```python\nx = 1\n```\n")[0][3] is None
    with pytest.raises(ValueError, match="never closed"):
        code_blocks("```python\nx = 1\n")


def test_first_command_installs_editable_and_trains():
    """The README's first command is one line: an editable install (local edits take effect
    in `python -m minidl` and the examples), then the default training run."""
    bash = [b for b in code_blocks(_readme()) if b[1] in ("bash", "sh", "shell")]
    first = bash[0][2].splitlines()[0]
    assert 'pip install -e ".[' in first and first.endswith("python -m minidl train"), first
    assert first.startswith("python3 -m venv .venv && . .venv/bin/activate && ")
    second = bash[0][2].splitlines()[1]
    assert "pip install -e" in second and second.endswith("python -m pytest"), second
