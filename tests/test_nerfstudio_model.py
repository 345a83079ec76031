"""The inredit-sdf field/model in-process (CPU), checkpoint safety and the restricted run-config loader."""

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("nerfstudio")

from inredit.errors import InreditError  # noqa: E402
from inredit.inr.spec import DEFAULT_SPEC, INRSpec  # noqa: E402
from inredit.inr.torch_backend import forward  # noqa: E402
from inredit.inr.weights import INRWeights, init_weights  # noqa: E402
from inredit.nerfstudio.checkpoint import load_checkpoint, save_checkpoint, to_plain  # noqa: E402


def random_inr(spec=DEFAULT_SPEC, seed=0):
    generator = torch.Generator().manual_seed(seed)
    base = init_weights(spec, 1)
    return INRWeights(spec, [w + 0.05 * torch.randn(w.shape, generator=generator) for w in base.weights])


def make_model(**overrides):
    from nerfstudio.data.scene_box import SceneBox

    from inredit.nerfstudio.model import InreditSDFModelConfig

    config = InreditSDFModelConfig(num_samples=8, num_samples_importance=8, num_up_sample_steps=1, **overrides)
    return config.setup(scene_box=SceneBox(aabb=torch.tensor([[-1.5] * 3, [1.5] * 3])), num_train_data=4, metadata={})


def test_field_sdf_is_the_inr_in_world_coordinates():
    from inredit.nerfstudio.field import InreditSDFField

    inr = random_inr()
    field = InreditSDFField(DEFAULT_SPEC, inr_center=(0.2, -0.1, 0.3), inr_half_extent=2.0, backend="torch")
    field.geometry.load_inr(inr)
    x = torch.rand(100, 3) * 2 - 1
    expected = 2.0 * forward(inr, ((x - torch.tensor([0.2, -0.1, 0.3])) / 2.0).unsqueeze(0))[0]
    assert torch.allclose(field.sdf(x), expected, atol=1e-6)
    exported = field.geometry.export()
    assert all(torch.equal(a, b) for a, b in zip(exported.weights, inr.weights))


def test_model_renders_and_trains_geometry_on_cpu():
    from nerfstudio.cameras.rays import RayBundle

    n = 32
    generator = torch.Generator().manual_seed(0)
    origins = torch.tensor([[0.0, 0.0, 3.0]]).repeat(n, 1)
    directions = torch.nn.functional.normalize(
        torch.cat([torch.rand(n, 2, generator=generator) * 0.4 - 0.2, -torch.ones(n, 1)], 1), dim=-1)
    bundle = RayBundle(origins=origins, directions=directions, pixel_area=torch.ones(n, 1),
                       camera_indices=torch.zeros(n, 1, dtype=torch.long))
    batch = {"image": torch.rand(n, 4, generator=generator)}

    def train(model, steps=5):
        """Adam steps on the model's loss; returns (first loss, last loss, geometry before, after)."""
        optimizer = torch.optim.Adam([p for group in model.get_param_groups().values() for p in group], lr=1e-2)
        before = [p.detach().clone() for p in model.field.geometry.parameters()]
        losses = []
        for _ in range(steps):
            optimizer.zero_grad()
            outputs = model(bundle)
            loss = sum(model.get_loss_dict(outputs, batch).values())
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, before, [p.detach() for p in model.field.geometry.parameters()]

    model = make_model()
    outputs = model(bundle)
    assert outputs["rgb"].shape == (n, 3) and outputs["depth"].shape == (n, 1)
    assert set(model.get_param_groups()) == {"geometry", "appearance"}
    losses, before, after = train(model)
    assert losses[-1] < losses[0]  # it learns the batch
    assert any(not torch.equal(a, b) for a, b in zip(before, after))  # and moves the geometry
    frozen = make_model(freeze_geometry=True)
    losses, before, after = train(frozen)
    assert losses[-1] < losses[0]  # appearance still learns
    assert all(torch.equal(a, b) for a, b in zip(before, after))  # the geometry does not move


def test_model_state_dict_is_canonical_and_refuses_another_spec():
    model = make_model()
    state = model.state_dict()
    assert tuple(state["field.geometry.weight_0"].shape) == DEFAULT_SPEC.layer_shapes()[0]
    assert state["field.geometry._extra_state"]["spec"] == DEFAULT_SPEC.to_dict()
    other = make_model(geometry_width=32)
    with pytest.raises(InreditError, match="does not match"):
        other.load_state_dict(state)


def test_unknown_edit_in_the_training_config_fails_at_setup():
    with pytest.raises(InreditError, match="unknown edit"):
        make_model(edit="paint-it-red", edit_at_step=5)


def test_sphere_init_has_a_surface():
    from inredit.nerfstudio.model import sphere_inr

    inr = sphere_inr(DEFAULT_SPEC, 0.5)
    values = forward(inr, torch.tensor([[0.0, 0.0, 0.0], [0.9, 0.9, 0.9]]).unsqueeze(0))[0]
    assert values[0] < 0 < values[1]


class NotAllowed:
    pass


def test_checkpoint_loading_is_weights_only_with_a_narrow_numpy_allow_list(tmp_path):
    path = tmp_path / "step-000000001.ckpt"
    # what nerfstudio's own schedulers leave behind: numpy scalars in scheduler/optimizer state
    torch.save({"step": 1, "pipeline": {"w": torch.ones(2)}, "schedulers": {"a": {"_last_lr": [np.float64(0.5)]}}}, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
    state = load_checkpoint(path)
    plain = to_plain(state)
    assert type(plain["schedulers"]["a"]["_last_lr"][0]) is float
    save_checkpoint(plain, tmp_path / "out.ckpt")
    assert torch.load(tmp_path / "out.ckpt", weights_only=True)["schedulers"]["a"]["_last_lr"] == [0.5]
    torch.save({"step": 1, "pipeline": {}, "x": NotAllowed()}, path)
    with pytest.raises(InreditError, match="refusing to unpickle"):
        load_checkpoint(path)
    path.write_bytes(b"garbage")
    with pytest.raises(InreditError, match="unreadable checkpoint"):
        load_checkpoint(path)


def test_run_configs_are_rewritten_as_yaml_nodes_without_building_objects(tmp_path):
    import yaml

    from inredit.nerfstudio.config import trainer_config
    from inredit.nerfstudio.runs import load_run_config

    config = trainer_config()
    config.set_timestamp()
    config.data = config.pipeline.datamanager.data = Path("relative/data")
    path = tmp_path / "config.yml"
    text = yaml.dump(config)  # what nerfstudio's save_config writes
    path.write_text(text)
    run = load_run_config(path)
    assert run.dump() == text  # an untouched graph round-trips byte for byte
    assert run.method_name == "inredit-sdf" and run.model("geometry_width") == DEFAULT_SPEC.width
    assert run.model("inr_center") == [0.0, 0.0, 0.0] and run.relative_model_dir == Path("nerfstudio_models")
    target = tmp_path / "out" / "exp" / "inredit-sdf" / "stamp"
    run.set_run_dir(target)
    run.set_path(Path("/abs/data"), "data")
    loaded = yaml.load(run.dump(), Loader=yaml.Loader)  # nerfstudio's loader (our own, trusted text)
    assert loaded.get_base_dir() == target and loaded.get_checkpoint_dir() == target / "nerfstudio_models"
    assert loaded.data == loaded.pipeline.datamanager.data == Path("/abs/data")  # the shared (aliased) node
    evil = tmp_path / "evil.yml"
    for text in ("!!python/object/apply:os.system ['touch pwned']\n", "!!python/name:builtins.eval ''\n", "[1, 2\n", ""):
        evil.write_text(text)
        with pytest.raises(InreditError, match="not a nerfstudio run config"):
            load_run_config(evil)
    assert not Path("pwned").exists()


def test_spec_is_part_of_the_config():
    from inredit.nerfstudio.model import InreditSDFModelConfig

    assert InreditSDFModelConfig(geometry_width=64).inr_spec() == INRSpec(width=64)


def test_geometry_keys_of_multi_gpu_checkpoints_are_found():
    from inredit.nerfstudio.checkpoint import geometry_prefix

    assert geometry_prefix({"_model.field.geometry._extra_state": {}}) == "_model.field.geometry."
    assert geometry_prefix({"_model.module.field.geometry._extra_state": {}}) == "_model.module.field.geometry."
