"""The shipped instance catalog covers AWS, GCP and Azure; providers filter and validate."""

from __future__ import annotations

import pytest

from scaling_lib.analysis.catalog import load_catalog, load_gpu_rates, only_providers
from scaling_lib.analysis.gpu_rates import rate_for
from scaling_lib.analysis.recommend import Catalog, Instance, recommend
from scaling_lib.analysis.report import recommendation_dict
from scaling_lib.errors import SpecError
from scaling_lib.present.analysis import recommendation_text

from .analysis.records import make_records

PROVIDERS = ("aws", "gcp", "azure")
FAMILIES = {"general", "compute", "memory", "gpu"}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def test_every_provider_offers_each_family_and_a_region(catalog):
    for provider in PROVIDERS:
        offered = [i for i in catalog.instances if i.provider == provider]
        assert {i.family for i in offered} >= FAMILIES, provider
        assert all(i.region for i in offered), provider
    assert {i.provider for i in catalog.instances} == set(PROVIDERS)
    assert len({(i.provider, i.name) for i in catalog.instances}) == len(catalog.instances)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("gpu", ["A100", "H100"])
def test_every_provider_has_an_eight_gpu_a100_and_h100_instance(catalog, provider, gpu):
    assert any(
        i.provider == provider and i.gpus == 8 and gpu in (i.gpu_type or "")
        for i in catalog.instances
    )


def test_cores_prices_and_gpu_names_are_consistent(catalog):
    rates, _ = load_gpu_rates()
    for inst in catalog.instances:
        assert inst.cores is not None and 0 < inst.cores <= inst.vcpus, inst.name
        assert inst.committed_hour < inst.on_demand_hour, inst.name
        if inst.spot_hour is not None:
            assert inst.spot_hour < inst.on_demand_hour, inst.name
        if inst.gpus:
            assert inst.family == "gpu" and inst.gpu_memory_gib > 0, inst.name
            rate = rate_for(inst.gpu_type, rates)
            assert rate is not None, f"{inst.name}: {inst.gpu_type} has no row in gpus.yaml"
            assert rate.match in inst.gpu_type
        else:
            assert inst.gpu_type is None, inst.name


def test_the_catalog_names_its_sources(catalog):
    assert "skypilot-catalog" in catalog.source
    for path in ("v9/aws/vms.csv", "v9/gcp/vms.csv", "v6/azure/vms.csv"):
        assert path in catalog.source
    assert catalog.retrieved


def test_the_provider_filter_keeps_only_those_providers(catalog):
    aws = only_providers(catalog, "aws")
    assert aws.instances and {i.provider for i in aws.instances} == {"aws"}
    two = only_providers(catalog, ["GCP", " azure "])
    assert {i.provider for i in two.instances} == {"gcp", "azure"}
    assert only_providers(catalog, None) is catalog
    assert aws.source == catalog.source


@pytest.mark.parametrize("names", ["oracle", "aws,ibm", ""])
def test_the_provider_filter_refuses_an_unknown_provider(catalog, names):
    with pytest.raises(SpecError, match="--provider") as err:
        only_providers(catalog, names)
    assert err.value.field == "--provider"
    assert "aws, azure, gcp" in str(err.value)


def _write(tmp_path, text: str):
    path = tmp_path / "catalog.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ("provider: 3", "catalog.instances[0].provider"),
        ("region: [us-east-1]", "catalog.instances[0].region"),
        ("gpus: -1", "catalog.instances[0].gpus"),
        ("gpus: 1.5", "catalog.instances[0].gpus"),
        ("gpus: true", "catalog.instances[0].gpus"),
    ],
)
def test_a_bad_provider_region_or_gpu_count_is_refused_naming_the_field(tmp_path, entry, field):
    path = _write(
        tmp_path,
        f"instances:\n  - {{name: x, vcpus: 2, memory_gib: 4, on_demand_hour: 0.1, {entry}}}\n",
    )
    with pytest.raises(SpecError) as err:
        load_catalog(path)
    assert err.value.field == field


def test_committed_prices_use_the_providers_factor_or_the_default(tmp_path):
    path = _write(
        tmp_path,
        "providers:\n  aws: {committed_factor: 0.5}\n  gcp: {region: us-central1}\n"
        "instances:\n"
        "  - {provider: aws, name: a, vcpus: 2, memory_gib: 4, on_demand_hour: 1.0}\n"
        "  - {provider: gcp, name: g, vcpus: 2, memory_gib: 4, on_demand_hour: 1.0}\n"
        "  - {provider: aws, name: q, vcpus: 2, memory_gib: 4, on_demand_hour: 1.0,"
        " committed_hour: 0.9}\n",
    )
    a, g, q = load_catalog(path).instances
    assert (a.committed_hour, g.committed_hour, q.committed_hour) == (0.5, 0.63, 0.9)
    assert (a.provider, a.region, g.region) == ("aws", "", "")
    bad = _write(tmp_path, "providers:\n  aws: {committed_factor: 1.5}\ninstances: []\n")
    with pytest.raises(SpecError, match=r"providers\.aws\.committed_factor"):
        load_catalog(bad)


def test_options_name_their_provider_and_the_scheduler_node_stays_in_that_cloud():
    catalog = Catalog(
        instances=(
            Instance("a", 4, 8, 0.2, 0.1, cores=4, provider="aws", region="us-east-1"),
            Instance("g", 4, 8, 0.3, 0.2, cores=4, provider="gcp", region="us-central1"),
        ),
        source="test",
    )
    df = make_records(sizes=(1000, 2000, 4000, 8000), workers=(1, 2))
    rec = recommend(df, catalog, size=16000, counts=(2,), draws=10)
    for option in rec.options:
        assert option.provider == {"a": "aws", "g": "gcp"}[option.instance]
        # Two instances plus a scheduler node of the same provider.
        own = {"a": 0.2, "g": 0.3}[option.instance]
        assert option.cost == pytest.approx(
            3 * own / 3600 * max(option.seconds + option.overhead_s, 60), rel=1e-6
        )
    assert any("of the option's provider: aws 0.2/h, gcp 0.3/h" in a for a in rec.assumptions)
    data = recommendation_dict(rec)
    assert {o["provider"] for o in data["options"]} == {"aws", "gcp"}
    text = recommendation_text(data)
    assert "provider" in text and " gcp " in text
