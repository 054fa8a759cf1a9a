"""The spec model: immutable, slotted attrs classes whose repr shows their fields."""

from __future__ import annotations

import attrs
import pytest

from unitgen.spec import model


def test_a_model_object_shows_its_fields_in_order() -> None:
    relations = model.Relations(after=("docker.service",), requires=("docker.service",))
    assert repr(relations) == (
        "Relations(after=('docker.service',), before=(), requires=('docker.service',), wants=(), binds_to=(), part_of=(), conflicts=())"
    )
    assert repr(model.Presence(etcd=model.EtcdPresence("/k", 80, 60, 45))) == (
        "Presence(elb=None, etcd=EtcdPresence(key='/k', port=80, ttl=60, interval=45))"
    )


def test_fields_kept_out_of_the_repr_stay_out() -> None:
    shown = repr(model.Project(source="specs/unitgen.toml", origins=object()))  # type: ignore[arg-type]
    assert shown.startswith("Project(source='specs/unitgen.toml', paths=Paths(docker='/usr/bin/docker'")
    assert "origins" not in shown


@pytest.mark.parametrize("cls", [c for c in vars(model).values() if isinstance(c, type) and attrs.has(c)])
def test_every_model_class_is_slotted_frozen_and_shown_by_attrs(cls: type) -> None:
    assert "__slots__" in vars(cls) and "__repr__" in vars(cls)
    assert cls.__setattr__ is model.Relations.__setattr__  # attrs' refusal, tested below


def test_a_model_object_cannot_change_and_equals_its_twin() -> None:
    relations = model.Relations(after=("a.service",))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        relations.after = ()  # type: ignore[misc]
    assert relations == model.Relations(after=("a.service",)) and hash(relations) == hash(
        model.Relations(after=("a.service",))
    )
