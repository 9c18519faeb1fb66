"""Reports: Markdown + self-contained HTML for a run and a sweep; the HTML opens in headless Chromium."""
from __future__ import annotations

import base64
import json
import re
import subprocess
from pathlib import Path

import pytest

from qnn.errors import QnnError
from qnn.report import write_any_report
from qnn.report.document import Heading, Image, Table, Text, render_html, render_markdown
from qnn.sweep import SweepSpec
from qnn.sweep.table import ResultsTable

CHROMIUM = Path("/usr/bin/chromium")


def fake_sweep(folder: Path) -> Path:
    """A sweep folder with a hand-made results table (what `qnn sweep` writes), no training needed."""
    spec = SweepSpec(presets=("tfc",), weight_bits=(1, 2, 4), act_bits=(2, 4), include_float=True)
    folder.mkdir(parents=True)
    (folder / "sweep.json").write_text(json.dumps({"spec": spec.to_dict()}))
    table = ResultsTable(folder)
    acc = {(1, 2): 0.90, (1, 4): 0.91, (2, 2): 0.95, (2, 4): 0.96, (4, 2): 0.955, (4, 4): 0.97}
    lut = {(1, 2): 3000, (1, 4): 3400, (2, 2): 3500, (2, 4): 4200, (4, 2): 5000, (4, 4): 6100}
    order = [p.id for p in spec.points()]
    for p in spec.points():
        if p.is_float:
            row = {"accuracy": 0.975, "bops": 60_000 * 1024, "macs": 60_000}
        else:
            k = (p.weight_bits, p.act_bits)
            row = {"accuracy": acc[k], "bops": 60_000 * p.weight_bits * p.act_bits, "macs": 60_000, "lut": lut[k],
                   "ff": 900, "bram": 12.0, "dsp": 0, "ideal_cycles": 784, "cycles_per_inference": 790.0,
                   "sim_exact": "8/8", "bit_exact": True}
        table.upsert({"id": p.id, "preset": p.preset, "weight_bits": p.weight_bits, "act_bits": p.act_bits,
                      "status": "ok", "key": spec.point_key(p), **row}, order)
    return folder


def test_sweep_report_has_table_pareto_and_embedded_plots(tmp_path):
    folder = fake_sweep(tmp_path / "sw")
    md, html = write_any_report(folder)
    text = md.read_text()
    assert "| tfc-w2a4 | 96.00 % |" in text
    # LUT front: w1a2 (3000, 0.90) -> w1a4 (3400, 0.91) -> w2a2 (3500, 0.95) -> w2a4 (4200, 0.96) -> w4a4 (6100, 0.97)
    assert "Pareto front (accuracy vs LUTs): tfc-w1a2 (90.00% at 3,000 LUTs), tfc-w1a4" in text
    assert "tfc-w4a2" not in text.split("Pareto front (accuracy vs LUTs)")[1].split("\n")[0]
    for name in ("accuracy_vs_bits.png", "accuracy_vs_luts.png", "accuracy_vs_bops.png"):
        assert f"(plots/{name})" in text and (folder / "plots" / name).is_file()
    page = html.read_text()
    srcs = re.findall(r'<img src="([^"]+)"', page)
    assert len(srcs) == 3 and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert all(base64.b64decode(s.split(",", 1)[1])[:4] == b"\x89PNG" for s in srcs)
    assert "http://" not in page and "https://" not in page  # nothing to fetch: one self-contained file


def test_run_report_from_a_flow(tmp_path):
    from qnn.flow import FlowConfig, Step, run_flow

    cfg = FlowConfig(model="mlp", hidden=(8,), epochs=1, limit_train=200, eval_limit=60, threads=1,
                     skip={Step.hls, Step.rtl, Step.sim, Step.synth})
    s = run_flow(tmp_path / "run", cfg)
    assert s.ok
    text = (tmp_path / "run" / "report.md").read_text()
    for section in ("## Flow", "## Accuracy", "## Cost", "## Integer IR", "## Plots"):
        assert section in text
    assert "| golden (integer) |" in text and "(plots/confusion_golden.png)" in text
    assert "Bit-exactness" not in text  # no hardware was run, so none is claimed
    html = (tmp_path / "run" / "report.html").read_text()
    assert html.count('<img src="data:image/png;base64,') == 2  # training curves + confusion matrix


def test_document_escaping_and_errors(tmp_path):
    blocks = [Heading("a <b>"), Text("x & y"), Table(["k", "v"], [["p|q", 1234567], ["r", 0.5]])]
    md = render_markdown("T", blocks, tmp_path)
    assert "p\\|q" in md and "1,234,567" in md
    page = render_html("T", blocks)
    assert "a &lt;b&gt;" in page and "x &amp; y" in page
    with pytest.raises(QnnError, match="neither a run directory"):
        write_any_report(tmp_path)
    with pytest.raises(FileNotFoundError):
        render_html("T", [Image(tmp_path / "none.png")])


PROBE = """<script>window.__errors = 0;
window.addEventListener('error', () => { window.__errors++; }, true);
window.addEventListener('load', () => {
  const im = Array.from(document.images);
  const ok = im.filter(i => i.complete && i.naturalWidth > 0).length;
  document.body.setAttribute('data-images', ok + '/' + im.length);
  document.body.setAttribute('data-errors', String(window.__errors));
});</script>"""


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed (apt-get install chromium)")
def test_html_report_opens_in_headless_chromium_and_its_images_load(tmp_path):
    folder = fake_sweep(tmp_path / "sw")
    _, html = write_any_report(folder)
    probe = tmp_path / "probe.html"  # the report plus a script that counts loaded images and errors
    probe.write_text(html.read_text().replace("<head>", "<head>" + PROBE, 1))
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    body = re.search(r"<body[^>]*>", p.stdout)
    assert body, p.stdout[:500]
    assert 'data-images="3/3"' in body.group(0), body.group(0)
    assert 'data-errors="0"' in body.group(0), body.group(0)
