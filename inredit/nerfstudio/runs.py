"""nerfstudio run configs (`RUN/config.yml`) read and rewritten as YAML nodes, never as objects.

nerfstudio saves `config.yml` with `yaml.dump(TrainerConfig)` (`configs/experiment_config.py:130-137`)
and reads it back with the full unsafe loader (`utils/eval_utils.py:90`), so a run config can name
any Python callable. `ns-edit` needs only a few fields and must write a config nerfstudio loads, so
it works on the composed YAML node graph (`yaml.compose`: no Python object is ever built, nothing is
imported) and serializes the graph back (`yaml.serialize`; an unmodified graph round-trips byte for
byte, tags and anchors included). Shared nodes (e.g. the `data` path anchored at the top level and
aliased in the datamanager) are changed in place, as the one object they stand for.

A run's checkpoints live in `<folder of config.yml>/<relative_model_dir>`; nerfstudio looks them up
from `output_dir/experiment_name/method_name/timestamp` relative to the working directory
(`experiment_config.py:113-122`), which `RunConfig.set_run_dir` sets (absolute) so both agree.
"""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from inredit.errors import InreditError

METHOD_NAME = "inredit-sdf"
PYTHON_TAG = "tag:yaml.org,2002:python/"
TRAINER_CONFIG_TAG = PYTHON_TAG + "object:nerfstudio.engine.trainer.TrainerConfig"
PATH_TAG_PREFIX = PYTHON_TAG + "object/apply:pathlib."
STR_TAG, NULL_TAG = "tag:yaml.org,2002:str", "tag:yaml.org,2002:null"


def _plain(node: Node) -> Any:
    """Plain value of a node: YAML core scalars, lists (incl. python tuples), dicts, pathlib paths."""
    if node.tag.startswith(PATH_TAG_PREFIX) and isinstance(node, SequenceNode):
        return Path(*[_plain(n) for n in node.value]) if node.value else Path()
    if isinstance(node, ScalarNode):
        if node.tag.startswith(PYTHON_TAG):
            return node.tag[len(PYTHON_TAG):]  # a class reference: its name is enough here
        return yaml.SafeLoader("").construct_object(node, deep=True)
    if isinstance(node, SequenceNode):
        return [_plain(n) for n in node.value]
    if isinstance(node, MappingNode):
        return {_plain(k): _plain(v) for k, v in node.value}
    raise TypeError(type(node))


class RunConfig:
    """A nerfstudio `config.yml` as a YAML node graph with typed access to the fields ns-edit uses."""

    def __init__(self, root: MappingNode, path: Path) -> None:
        self.root = root
        self.path = path

    # -- node access -------------------------------------------------------------------------------
    def node(self, *keys: str) -> Node:
        node: Node = self.root
        for key in keys:
            if not isinstance(node, MappingNode):
                raise InreditError(f"config field {'.'.join(keys)} is missing", self.path)
            found = [v for k, v in node.value if isinstance(k, ScalarNode) and k.value == key]
            if not found:
                raise InreditError(f"config field {'.'.join(keys)} is missing", self.path)
            node = found[0]
        return node

    def get(self, *keys: str, default: Any = None) -> Any:
        try:
            return _plain(self.node(*keys))
        except InreditError:
            return default

    def tag(self, *keys: str) -> str:
        return self.node(*keys).tag

    def set_str(self, value: str | None, *keys: str) -> None:
        node = self.node(*keys)
        node.tag, node.value = (NULL_TAG, "null") if value is None else (STR_TAG, str(value))
        node.style = None

    def set_path(self, value: Path | None, *keys: str) -> None:
        """Set a path field in place (aliases of the node see it too)."""
        node = self.node(*keys)
        if value is None:
            self.set_str(None, *keys)
            return
        tag = node.tag if node.tag.startswith(PATH_TAG_PREFIX) else PATH_TAG_PREFIX + type(Path()).__name__
        parts = [ScalarNode(STR_TAG, part) for part in PurePath(value).parts]
        if isinstance(node, SequenceNode):
            node.tag, node.value = tag, parts
        else:  # a null becomes a path: swap the node in its parent mapping
            parent = self.node(*keys[:-1])
            assert isinstance(parent, MappingNode)
            parent.value = [(k, SequenceNode(tag, parts) if k.value == keys[-1] else v) for k, v in parent.value]

    # -- fields ------------------------------------------------------------------------------------
    @property
    def method_name(self) -> str:
        return str(self.get("method_name"))

    @property
    def relative_model_dir(self) -> Path:
        return Path(self.get("relative_model_dir", default=Path("nerfstudio_models")))

    def base_dir(self) -> Path:
        """What nerfstudio's `ExperimentConfig.get_base_dir` computes."""
        return Path(f"{self.get('output_dir')}/{self.get('experiment_name')}/{self.method_name}/{self.get('timestamp')}")

    def checkpoint_dir(self) -> Path:
        """Where this run's checkpoints are: next to config.yml (wherever the run was moved)."""
        return self.path.resolve().parent / self.relative_model_dir

    def model(self, key: str, default: Any = None) -> Any:
        return self.get("pipeline", "model", key, default=default)

    def set_run_dir(self, run_dir: Path) -> None:
        """Point output_dir/experiment_name/timestamp at `run_dir` (= .../<experiment>/<method>/<timestamp>)."""
        if run_dir.parent.name != self.method_name:
            raise ValueError(f"{run_dir} is not a <experiment>/{self.method_name}/<timestamp> folder")
        self.set_path(run_dir.parent.parent.parent, "output_dir")
        self.set_str(run_dir.parent.parent.name, "experiment_name")
        self.set_str(run_dir.name, "timestamp")

    def dump(self) -> str:
        return yaml.serialize(self.root)


def load_run_config(path: str | Path) -> RunConfig:
    """Compose a run's `config.yml` (no objects built) and check it is a nerfstudio TrainerConfig."""
    path = Path(path)
    if not path.exists():
        raise InreditError("file not found", path)
    if not path.is_file():
        raise InreditError("not a file (pass RUN/config.yml)", path)
    try:
        root = yaml.compose(path.read_text())
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InreditError(f"not a nerfstudio run config (invalid YAML: {' '.join(str(exc).split())[:160]})", path) from None
    if not isinstance(root, MappingNode) or root.tag != TRAINER_CONFIG_TAG:
        found = root.tag.replace(PYTHON_TAG, "python/") if root is not None else "an empty file"
        raise InreditError(f"not a nerfstudio run config (top level is {found}, not a TrainerConfig)", path)
    return RunConfig(root, path)


def check_method(config: RunConfig) -> None:
    if config.method_name != METHOD_NAME:
        raise InreditError(f"run was trained with method '{config.method_name}'; ns-edit needs '{METHOD_NAME}' runs",
                           config.path)


def run_dir_for(output_dir: Path, config: RunConfig) -> Path:
    return Path(f"{output_dir}/{config.get('experiment_name')}/{config.method_name}/{config.get('timestamp')}")


def absolute_data_path(config: RunConfig, *keys: str) -> None:
    """A relative data path as nerfstudio would resolve it now (against the working directory)."""
    value = config.get(*keys)
    if isinstance(value, Path) and not value.is_absolute() and value.exists():
        config.set_path(value.resolve(), *keys)
