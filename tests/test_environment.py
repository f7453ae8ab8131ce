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


def test_torch_range_keeps_the_cpu_wheel():
    (torch_req,) = [r for r in direct_requirements() if r.name == "torch"]
    assert not torch_req.specifier.contains("2.14.0"), "an open-ended torch range pulls a CUDA build"


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
