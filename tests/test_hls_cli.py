"""`qnn hls RUN`: one-line errors for bad input (before anything is compiled), and one real run end to end."""
import json

import pytest
from hls_helpers import make_run, small_graph

from hls.hls4ml.flow import build_project, random_vectors
from hls.hls4ml.options import HlsOptions
from hls.hls4ml.synth import synthesis_skip_reason, synthesize
from qnn.cli import main
from qnn.ir import nodes as N
from qnn.run import Run


def _err(capsys, args):
    code = main([str(a) for a in args])
    return code, capsys.readouterr().err.strip()


@pytest.fixture(scope="module")
def mlp_graph(tmp_path_factory):
    return small_graph(tmp_path_factory.mktemp("g"), "mlp", 2, 2, True, hidden=(24, 12))


def _one_line(code, err, needle):
    assert code == 2, err
    assert err.startswith("error: ") and len(err.splitlines()) == 1, err
    assert needle in err, err


def test_missing_run_and_missing_ir(tmp_path, capsys):
    _one_line(*_err(capsys, ["hls", tmp_path / "nope"]), "does not exist")
    Run(tmp_path / "r").write_config({"dataset": {"name": "none"}})
    _one_line(*_err(capsys, ["hls", tmp_path / "r"]), "has no integer IR yet")


@pytest.mark.parametrize("opts,needle", [
    (["--reuse", "7"], "reuse factor 7 does not divide layer Gemm_0 (64x24 multiplications): valid values near it"),
    (["--io-type", "io_serial"], "unknown io type 'io_serial'"),
    (["--backend", "quartus"], "unknown HLS backend 'quartus'"),
    (["--strategy", "fast"], "unknown strategy 'fast'"),
    (["--clock", "0"], "clock period must be positive"),
    (["--vectors", "0"], "--vectors must be at least 1"),
])
def test_bad_options_one_line(tmp_path, capsys, mlp_graph, opts, needle):
    run = make_run(tmp_path / "r", mlp_graph)
    _one_line(*_err(capsys, ["hls", run.path, *opts]), needle)
    assert not run.hls_dir.exists()  # nothing half-written


def test_unsupported_layer_for_io_type(tmp_path, capsys):
    graph = small_graph(tmp_path, "cnn", 4, 4, True, channels=(3,), hidden=(8,))
    nodes = [n.with_(stride=(1, 1)) if isinstance(n, N.MaxPool) else n for n in graph.nodes]
    pool = next(n for n in nodes if isinstance(n, N.MaxPool))
    run = make_run(tmp_path / "r", graph.with_nodes(nodes))
    code, err = _err(capsys, ["hls", run.path, "--io-type", "io_stream"])
    _one_line(code, err, f"layer {pool.name} (MaxPool) is not supported by the hls4ml flow: io_stream pooling "
                         "needs stride == kernel")


def test_hls_run_end_to_end(tmp_path, capsys, mnist_root):
    """A run with MNIST: 200 test vectors C-simulated bit-exact, traced, synthesis skipped without vendor tools."""
    import shutil

    graph = small_graph(tmp_path, "mlp", 2, 2, True, in_shape=(1, 28, 28), hidden=(8,))
    run = make_run(tmp_path / "r", graph, "mnist", str(mnist_root) if mnist_root else None)
    code = main(["hls", str(run.path), "--vectors", "200", "--trace", "--synth", "--reuse", "2"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "C simulation: 200/200 vectors bit-exact" in out
    assert f"trace: all {len(graph.body)} layers equal the golden model" in out
    if shutil.which("vitis_hls") is None and shutil.which("vitis-run") is None:
        assert "skipping C synthesis: vitis_hls / vitis-run is not on PATH" in out
    report = json.loads((run.hls_dir / "csim.json").read_text())
    assert report["csim"]["bit_exact"] and report["options"]["reuse"] == 2
    assert "mnist test vectors" in report["vector_source"]
    assert run.metrics["hls"]["exact_vectors"] == 200
    assert "reuse_factor = 2" in (run.hls_dir / "firmware" / "parameters.h").read_text()
    assert len((run.hls_dir / "tb_data" / "tb_input_features.dat").read_text().splitlines()) == 200


STUB_TOOL = """#!/bin/sh
# stand-in for vitis_hls: checks how it is called, then leaves a C synthesis report where Vitis HLS puts one
[ "$1" = "-f" ] && [ "$2" = "build_prj.tcl" ] || { echo "bad arguments: $*"; exit 3; }
grep -q "synth *1" build_opt.tcl && grep -q "csim *1" build_opt.tcl || { echo "build_opt.tcl asks no csim+synth"; exit 4; }
mkdir -p myproject_prj/solution1/syn/report
echo '<AutoPilot_Project><solutions><solution name="solution1"/></solutions></AutoPilot_Project>' > myproject_prj/hls.app
cat > myproject_prj/solution1/syn/report/myproject_csynth.xml <<XML
<profile><UserAssignments><TargetClockPeriod>5.00</TargetClockPeriod></UserAssignments>
<PerformanceEstimates><SummaryOfTimingAnalysis><EstimatedClockPeriod>4.10</EstimatedClockPeriod></SummaryOfTimingAnalysis>
<SummaryOfOverallLatency><Best-caseLatency>7</Best-caseLatency><Worst-caseLatency>7</Worst-caseLatency>
<Interval-min>1</Interval-min><Interval-max>1</Interval-max></SummaryOfOverallLatency></PerformanceEstimates>
<AreaEstimates><Resources><BRAM_18K>0</BRAM_18K><DSP>3</DSP><FF>900</FF><LUT>2500</LUT><URAM>0</URAM></Resources>
<AvailableResources><BRAM_18K>10</BRAM_18K><DSP>20</DSP><FF>1000</FF><LUT>5000</LUT><URAM>0</URAM></AvailableResources>
</AreaEstimates></profile>
XML
"""


def test_synth_runs_the_tool_and_reads_its_report(tmp_path, monkeypatch, mlp_graph):
    """The plumbing around the vendor tool (not the tool): how it is called, and its report parsed by hls4ml."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    opts = HlsOptions()
    assert "skipping C synthesis: vitis_hls / vitis-run is not on PATH" in synthesis_skip_reason(opts)
    tool = bin_dir / "vitis_hls"
    tool.write_text(STUB_TOOL)
    tool.chmod(0o755)
    assert synthesis_skip_reason(opts) is None
    build_project(mlp_graph, opts, tmp_path / "prj", random_vectors(mlp_graph, 20))
    report = synthesize(tmp_path / "prj", opts)
    assert report["WorstLatency"] == "7" and report["IntervalMax"] == "1" and report["LUT"] == "2500"
