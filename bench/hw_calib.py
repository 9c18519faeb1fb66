"""Hardware benchmark (issue 14), the resource model's calibration: Yosys (no place and route) on the CALIB designs
and the after designs -> hls/rtlgen/resource_model.json, and the check that the model is within 20 % of Yosys."""
from __future__ import annotations

import json
from pathlib import Path

from hw_cores import port_widths
from hw_designs import DESIGNS, RESULTS, RUNS, design_run, ensure_model

from qnn.util.atomic import atomic_write_text

# resource-model calibration: Yosys (no place and route) on these designs -> hls/rtlgen/resource_model.json
CALIB = [("tfc-w2a2", 196, "ecp5"), ("tfc-w2a2", 3136, "ecp5"), ("tfc-w2a2", 784, "ice40"), ("mlp-w2a2", 392, "ice40"),
         ("tfc-w1a1", 784, "ice40")]  # and the `after` designs (their Yosys figures from qnn synth)


def design_stages(rtl_dir: Path) -> list:
    """The core instances of a generated design (design.json), as the resource model reads them."""
    from types import SimpleNamespace

    d = json.loads((Path(rtl_dir) / "design.json").read_text())
    out = []
    for st in d["stages"]:
        p = st["params"]
        iw, ow = port_widths(st["module"], p, 0, 0)
        out.append(SimpleNamespace(name=st["name"], module=st["module"], params=p, in_width=iw, out_width=ow))
    return out


def calibrate(redo: bool, new_runs: bool = True) -> dict:
    """Yosys LUT/FF/BRAM of the CALIB designs with their model features, kept in resource_model.json."""
    from hls.rtlgen import generate_rtl
    from hls.rtlgen.design import load_design
    from hls.rtlgen.fit import MODEL_FILE, design_features, estimate
    from hls.synth.flow import synthesize_sources
    from qnn.run import Run

    data = json.loads(MODEL_FILE.read_text()) if MODEL_FILE.is_file() else {"points": []}
    have = {(q["design"], q["family"]) for q in data["points"]}
    for model, tc, family in CALIB:
        name = f"{model}-{tc or 'default'}"
        if ((name, family) in have and not redo) or not new_runs:
            continue
        print(f"== calibration: {name} {family}", flush=True)
        out = RUNS / "calib" / name / "rtl"
        graph = Run(ensure_model(model)).graph()
        generate_rtl(graph, out, None, tc)
        d = load_design(out)
        res = synthesize_sources(d.source_paths(), "qnn_top", family, out.parent / f"synth_{family}", cwd=out)
        stages = design_stages(out)
        data["points"] = [q for q in data["points"] if (q["design"], q["family"]) != (name, family)]
        data["points"].append({"design": name, "model": model, "family": family,
                               "features": design_features(stages, family),
                               "lut": res["lut"], "ff": res["ff"], "bram": res["bram"],
                               "yosys": "Yosys 0.23 " + res["script"].rsplit("/", 1)[-1]})
        atomic_write_text(MODEL_FILE, json.dumps(data, indent=1))
    # the after designs' own Yosys figures are calibration points too
    res_file = RESULTS / "hw.json"
    designs = json.loads(res_file.read_text()).get("designs", {}) if res_file.is_file() else {}
    for dname, e in designs.items():
        a = e.get("after")
        if not a:  # always refreshed from the latest after run
            continue
        model = e["model"]
        stages = design_stages(design_run(dname) / "rtl")
        data["points"] = [q for q in data["points"] if (q["design"], q["family"]) != (dname, e["family"])]
        data["points"].append({"design": dname, "model": model, "family": e["family"],
                               "features": design_features(stages, e["family"]), "lut": a["synth"]["lut"],
                               "ff": a["synth"]["ff"], "bram": a["synth"]["bram"], "yosys": a["synth"]["command"]})
    atomic_write_text(MODEL_FILE, json.dumps(data, indent=1))
    # the check: the model (fitted on all points) against each point
    rows = []
    for q in data["points"]:
        out = (design_run(q["design"]) if q["design"] in DESIGNS else RUNS / "calib" / q["design"]) / "rtl"
        est = estimate(design_stages(out), q["family"])
        rows.append({"design": q["design"], "family": q["family"], "yosys_lut": q["lut"], "model_lut": round(est.lut),
                     "lut_err": (est.lut - q["lut"]) / q["lut"], "yosys_ff": q["ff"], "model_ff": round(est.ff),
                     "ff_err": (est.ff - q["ff"]) / q["ff"], "yosys_bram": q["bram"], "model_bram": est.bram})
    return {"points": rows, "within_20pct": all(abs(r["lut_err"]) <= 0.2 and abs(r["ff_err"]) <= 0.2 for r in rows)}
