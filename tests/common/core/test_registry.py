import pytest

from common.core.registry import Registry, import_dotted, is_dotted_path


def test_register_get_and_names():
    reg = Registry("balancer", "balancer.name")

    @reg.register("inverse")
    class Inverse:
        pass

    reg.add_lazy("lazy", "collections:OrderedDict")
    assert reg.get("inverse") is Inverse
    assert reg.names() == ["inverse", "lazy"]
    from collections import OrderedDict

    assert reg.get("lazy") is OrderedDict
    assert "inverse" in reg and "nope" not in reg


def test_duplicates_are_refused_and_re_registering_the_same_part_is_not():
    reg = Registry("balancer", "balancer.name")
    reg.add("a", int)
    reg.add("a", int)
    with pytest.raises(ValueError, match="'a' is already registered"):
        reg.add("a", float)
    reg.add_lazy("b", "collections:OrderedDict")
    with pytest.raises(ValueError, match="'b' is already registered"):
        reg.add("b", float)


def test_unknown_name_names_the_key_the_allowed_values_and_the_closest():
    reg = Registry("balancer", "balancer.name")
    reg.add("inverse", int)
    reg.add("average", float)
    with pytest.raises(KeyError) as err:
        reg.get("invers")
    msg = str(err.value)
    assert "balancer.name='invers'" in msg
    assert "did you mean 'inverse'" in msg
    assert "average, inverse" in msg and "pkg.module:Name" in msg


def test_dotted_paths_resolve_and_name_what_is_missing():
    reg = Registry("reward metric", "rewards.names")
    assert reg.get("collections:OrderedDict.fromkeys").__name__ == "fromkeys"
    assert is_dotted_path("my_pkg.mod:Name") and not is_dotted_path("bleu")
    assert not is_dotted_path("a:b c")
    with pytest.raises(KeyError, match="cannot import module 'no_such_module_xyz'"):
        import_dotted("no_such_module_xyz:Thing")
    with pytest.raises(KeyError, match="has no attribute 'Nope'"):
        import_dotted("collections:Nope")


def test_builtins_load_once_before_the_first_lookup():
    calls = []
    reg = Registry("dataset", "dataset.kind", load_builtins=lambda: calls.append(1))
    reg.names()
    reg.names()
    assert calls == [1]
