"""The environment files agree: pyproject's ranges, constraints.txt's pins and environment.yml."""

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def pins() -> dict[str, Version]:
    found = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            found[canonicalize_name(name)] = Version(version)
    return found


def direct_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [req for group in project["optional-dependencies"].values() for req in group]
    return [Requirement(req) for req in project["dependencies"] + extras]


def test_every_direct_dependency_is_pinned_inside_its_range():
    pinned = pins()
    for req in direct_requirements():
        name = canonicalize_name(req.name)
        assert name in pinned, f"{req.name} is not pinned in constraints.txt"
        assert req.specifier.contains(pinned[name], prereleases=True), f"{name}=={pinned[name]} is outside {req}"


def test_torch_range_stops_at_the_tested_release():
    """The range alone does not pick a CPU build (the index does: README, "Installing without a GPU");
    its upper bound keeps pip on the torch the course is tested with, and the comment says so."""
    (torch_req,) = [r for r in direct_requirements() if r.name == "torch"]
    assert not torch_req.specifier.contains("2.14.0"), "torch 2.14 is not tested: keep the range below it"
    assert torch_req.specifier.contains(str(pins()["torch"]))
    text = (ROOT / "pyproject.toml").read_text()
    assert "takes the CPU wheel" not in text and "TORCH_CPU=1" in text


def test_environment_yml_pins_the_same_versions():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(dep["pip"] for dep in env["dependencies"] if isinstance(dep, dict))
    env_pins = {}
    for line in pip_section:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([\w.]+)", line)
        if match:
            env_pins[canonicalize_name(match[1])] = Version(match[2])
    pinned = pins()
    for name, version in env_pins.items():
        assert pinned.get(name) == version, f"environment.yml has {name}=={version}, constraints.txt {pinned.get(name)}"
    for req in direct_requirements():
        assert canonicalize_name(req.name) in env_pins, f"environment.yml does not pin {req.name}"
    assert "graphviz" in env["dependencies"], "conda must provide graphviz's dot"


def oldest_pins() -> dict[str, Version]:
    found = {}
    for line in (ROOT / "constraints-oldest.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            found[canonicalize_name(name)] = Version(version)
    return found


def lower_bound(req: Requirement) -> Version:
    (bound,) = [Version(spec.version) for spec in req.specifier if spec.operator == ">="]
    return bound


def test_every_direct_dependency_has_a_lower_bound_that_the_oldest_constraints_pin():
    """constraints-oldest.txt (CI's "oldest" job) installs exactly the lower ends of the ranges."""
    oldest = oldest_pins()
    for req in direct_requirements():
        name = canonicalize_name(req.name)
        assert name in oldest, f"{req.name} is not pinned in constraints-oldest.txt"
        assert oldest[name] == lower_bound(req), f"constraints-oldest.txt pins {name}=={oldest[name]}, the range is {req}"


def test_conda_takes_the_cpu_build_of_the_pinned_torch():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    specs = [dep for dep in env["dependencies"] if isinstance(dep, str) and re.match(r"pytorch\b", dep)]
    assert len(specs) == 1, "environment.yml must take pytorch from conda-forge"
    match = re.fullmatch(r"pytorch=([\w.]+)=cpu\*", specs[0])
    assert match, f"{specs[0]!r} is not a CPU build spec (pytorch=<version>=cpu*)"
    assert Version(match[1]) == pins()["torch"], "conda's pytorch must be the version constraints.txt pins"
    assert "conda-forge" in env["channels"]


def make_dry_run(*arguments: str) -> str:
    import subprocess

    result = subprocess.run(["make", "-n", "-B", "setup", *arguments], cwd=ROOT, capture_output=True, text=True,
                            check=True)
    return result.stdout


def test_make_setup_torch_cpu_adds_the_cpu_wheel_index():
    """Not exercised for real here (the index is unreachable from the test machine): the command line only."""
    import shutil

    import pytest

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    index = "--extra-index-url https://download.pytorch.org/whl/cpu"
    assert index in make_dry_run("TORCH_CPU=1")
    assert index not in make_dry_run()
    assert "--constraint constraints-oldest.txt" in make_dry_run("CONSTRAINTS=constraints-oldest.txt")


def test_warnings_are_errors_only_in_the_tests():
    """Deprecation warnings that libraries raise on import must not break a student's notebook:
    only the test harness (conftest.py, pyproject's pytest section) turns warnings into errors."""
    pattern = re.compile(r"""simplefilter\(\s*["']error|filterwarnings\(\s*["']error|-W\s*error""")
    for folder in ("src", "notebooks"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".md", ".ipynb") and path.is_file():
                assert not pattern.search(path.read_text(encoding="utf-8")), f"{path} turns warnings into errors"
    assert "simplefilter('error')" in (ROOT / "conftest.py").read_text()


def test_ci_runs_the_oldest_versions():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    steps = " ".join(str(step.get("run", "")) for step in workflow["jobs"]["oldest"]["steps"])
    assert "constraints-oldest.txt" in steps and "TORCH_CPU=1" in steps


def test_the_notebooks_round_trip_through_any_jupytext_in_the_range():
    """Opening and saving a notebook changes nothing but the header's jupytext_version line, with
    whichever jupytext the range allows (CI's oldest job runs this with its lower bound; jupytext
    1.16 failed it).  tests/test_notebook_hygiene.py checks the exact bytes with the pinned version."""
    import jupytext

    for path in sorted((ROOT / "notebooks").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        written = jupytext.writes(jupytext.read(path, fmt="md:myst"), fmt="md:myst")
        version_line = re.compile(r"^    jupytext_version: .*$", flags=re.M)
        assert version_line.sub("", written) == version_line.sub("", text), f"{path.name} changes on a round trip"
