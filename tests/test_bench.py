"""`spikecore bench --quick` runs (so the bench never rots) and writes its figures and the
target verdicts; the figures themselves are checked for consistency, not for speed."""

import json

from spikecore.bench import TARGETS, run_bench


def test_bench_quick(tmp_path):
    out = tmp_path / "results.json"
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- bench:begin -->\nPLACEHOLDER\n<!-- bench:end -->\nrest\n")
    results = run_bench(quick=True, json_path=out, fpga=False, readme=readme,
                        progress=lambda line: None)
    assert json.loads(out.read_text()) == json.loads(json.dumps(results))
    # throughput: every activity, learning on and off; never below the bound
    assert {(r["activity"], r["learn"]) for r in results["throughput"]} == {
        (a, learn) for a in (0.01, 0.1, 0.5) for learn in (0, 1)}
    for r in results["throughput"]:
        assert r["cycles_per_step"] >= r["bound_per_step"] > 0
    # row streaming: at most `lanes` SOP per cycle (a step cannot beat its lanes)
    for r in results["row_streaming"].values():
        assert 0 < r["sop_per_cycle"] <= r["lanes"]
    assert [r["neurons"] for r in results["scale"]] == [16, 64]
    for name, verdict in results["targets"].items():
        assert name in TARGETS and isinstance(verdict["met"], bool)
    text = readme.read_text()
    assert text.startswith("intro\n<!-- bench:begin -->\nMeasured by `spikecore bench`")
    assert text.endswith("<!-- bench:end -->\nrest\n") and "PLACEHOLDER" not in text
