import pytest

from evoscale.machine import check_device, machine_label, resolve_device


def test_one_device_vocabulary_for_the_forward_and_the_torch_optimisers():
    for ok in ("cpu", "cuda", "cuda:1"):
        check_device(ok)
    for bad in ("gpu", "cudax", "cuda:", "auto", 0, None):
        with pytest.raises(ValueError, match="device must be 'cpu' or 'cuda"):
            check_device(bad)
    check_device("auto", auto=True)  # the optimisers' extra name: cuda if there is one
    with pytest.raises(ValueError, match="device must be 'cpu', 'cuda\\[:N\\]' or 'auto'"):
        resolve_device("tpu")
    assert resolve_device("cpu").type == "cpu"


def test_machine_label_names_cores_and_system():
    assert "cores" in machine_label() and machine_label() == machine_label("cpu")
