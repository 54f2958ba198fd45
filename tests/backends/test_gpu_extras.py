"""`pip install ".[gpu]"` must fetch a prebuilt CuPy wheel, never compile CuPy from source."""
import configparser
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _extras():
    config = configparser.ConfigParser()
    config.read(os.path.join(ROOT, "setup.cfg"))
    section = config["options.extras_require"]
    return {name: [line.strip() for line in section[name].splitlines() if line.strip()]
            for name in section}


@pytest.mark.parametrize("extra, wheel", [("gpu-cuda12", "cupy-cuda12x"),
                                          ("gpu-cuda13", "cupy-cuda13x"),
                                          ("gpu", "cupy-cuda12x")])
def test_gpu_extras_name_prebuilt_wheels(extra, wheel):
    requirements = _extras()[extra]
    assert len(requirements) == 1 and requirements[0].startswith(wheel + ">=")


def test_no_extra_asks_for_the_source_package():
    for name, requirements in _extras().items():
        for requirement in requirements:
            assert not requirement.replace(" ", "").startswith(("cupy>", "cupy=", "cupy<")) \
                and requirement != "cupy", f"extra {name!r} would build CuPy from source"


def test_the_readme_says_which_extra_to_pick():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    gpu = readme[readme.index("### GPU"):]
    for needle in ("nvidia-smi", "gpu-cuda12", "gpu-cuda13", "benchmarks/gpu_check.sh",
                   "MINIDL_TEST_DEVICES"):
        assert needle in gpu
