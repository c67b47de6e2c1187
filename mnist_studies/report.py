"""The claims report: every paper's claims beside our measurements, built from run records.

    python -m mnist_studies.report --profile quick      # what `make report` and the end of `make reproduce` run

Each paper's claims are data (``CLAIMS``, a list of ``Claim``, in ``mnist_studies/claims/<study>.py``). For a
profile, every claim is measured from that profile's run records (``measure_profile``) and stored in
``reports/<profile>.json`` with the provenance (device, library versions, git commit, wall time of each study).
``REPORT.md`` is rendered from all ``reports/*.json``, so the quick and paper profiles sit side by side even when
only one of them ran on this machine.

A study whose records are absent keeps its previous entry in ``reports/<profile>.json`` (a run of one notebook does
not erase the others); a damaged record stops the report with ``RecordError`` naming the file.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib
import importlib.util
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from mnist_studies import paths, records, stamps
from mnist_studies.claims import (  # noqa: F401  (re-exported: the report's vocabulary)
    INCONCLUSIVE,
    NEEDS_GPU,
    NOT_REPRODUCED,
    NOT_RUN,
    PARTLY,
    REPRODUCED,
    VERDICTS,
    Claim,
    Measurement,
    format_mean_std,
    mean_std,
    within,
)
from mnist_studies.profiles import PROFILE_NAMES, REDUCED_PROFILES, check_profile_name
from mnist_studies.studies import NOTEBOOK_STUDIES

PAPER_TITLES = {
    "000": "Z. Yang — separately trained kernels (paper 000)",
    "001": "S. Fan — ResNet and a two-layer CNN on MNIST (paper 001)",
    "002": "M. J. Ranjbar — MLP vs CNN, optimizers, learning rates, activations (paper 002)",
    "003": "Jomeau, Rajaonson, Dandjee — pairs of digits (paper 003)",
    "004": "M. Lu, N. Ke — LeNet-5, improved LeNet-5 and page recognition (paper 004)",
}


# ---------------------------------------------------------------------------------------------------------------
# Measuring a profile
# ---------------------------------------------------------------------------------------------------------------


def study_claims(study: str) -> list[Claim]:
    """The ``CLAIMS`` of a study (``mnist_studies/claims/<study>.py``; empty for a study without a paper)."""
    name = f"mnist_studies.claims.{study}"
    if importlib.util.find_spec(name) is None:
        return []
    return list(importlib.import_module(name).CLAIMS)


def measure_claims(claims: Sequence[Claim], study_records: list[dict]) -> list[dict]:
    """Each claim with our measurement from ``study_records`` (one profile) as plain data."""
    rows = []
    for claim in claims:
        measured = claim.measure(study_records) if study_records or not claim.needs_runs else None
        measured = measured or Measurement("–", 0, NOT_RUN)
        rows.append({"claim": claim.text, "section": claim.section, "paper": claim.paper, "rule": claim.rule,
                     "ours": measured.value, "n": measured.n, "verdict": measured.verdict, "margin": measured.margin})
    return rows


def _provenance(study_records: list[dict]) -> dict:
    first = study_records[0]
    created = sorted(r.get("created", "") for r in study_records)
    return {"device": first.get("device"), "versions": first.get("versions", {}),
            "git_commit": first.get("git_commit"), "runs": len(study_records), "last_run": created[-1]}


def measure_profile(profile: str, previous: dict | None = None) -> dict:
    """The report data of one profile from its run records; studies without records keep ``previous`` entries."""
    check_profile_name(profile)
    previous = previous or {}
    studies = {}
    for notebook, (study, paper) in NOTEBOOK_STUDIES.items():
        if paper is None:
            continue
        study_records = records.read_records(study, profile)  # a damaged record raises, naming the file
        static = [claim for claim in study_claims(study) if not claim.needs_runs]
        if not study_records:
            if study in previous.get("studies", {}):
                studies[study] = previous["studies"][study]
            elif static:  # claims that need no training are judged in every profile
                studies[study] = {"paper": paper, "notebook": notebook, "wall_seconds": None, "complete": True,
                                  "device": None, "versions": {}, "git_commit": None, "runs": 0, "last_run": None,
                                  "figures": [], "claims": measure_claims(study_claims(study), [])}
            continue
        stamp = stamps.read_stamp(study, profile)  # a damaged stamp raises StampError, naming the file
        studies[study] = {
            "paper": paper, "notebook": notebook,
            "wall_seconds": stamp.get("wall_seconds") if stamp.get("state") == "done" else None,
            # a study whose last `make reproduce` has not finished (still running, or stopped) is reported with the
            # records it has and marked incomplete; without a stamp (a notebook run by hand) nothing is claimed
            "complete": stamp.get("state") != "running",
            **_provenance(study_records),
            "figures": sorted(p.name for p in paths.figures_dir(profile).glob(f"{notebook[:2]}_*.png")),
            "claims": measure_claims(study_claims(study), study_records),
        }
    return {"profile": profile, "reduced": profile in REDUCED_PROFILES, "studies": studies,
            "generated": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}


# ---------------------------------------------------------------------------------------------------------------
# Rendering REPORT.md
# ---------------------------------------------------------------------------------------------------------------


def _profile_label(profile: str) -> str:
    return f"{profile} (reduced settings)" if profile in REDUCED_PROFILES else f"{profile} (the paper's settings)"


def _cell(row: dict | None, reduced: bool) -> tuple[str, str]:
    if row is None or row["verdict"] == NOT_RUN:
        return "–", NOT_RUN
    value = f"{row['ours']} (n = {row['n']})" if row["n"] > 1 else row["ours"]
    if row.get("margin"):
        value += f"; margin {row['margin']}"
    verdict = f"{row['verdict']}, reduced" if reduced and row["verdict"] != NEEDS_GPU else row["verdict"]
    return value, verdict


def _duration(seconds) -> str:
    if seconds is None:
        return "–"
    return f"{seconds / 60:.1f} min" if seconds >= 90 else f"{seconds:.0f} s"


def _order(reports: dict[str, dict]) -> list[str]:
    return [p for p in PROFILE_NAMES if p in reports and p != "smoke"] or list(reports)


def headline(reports: dict[str, dict]) -> str:
    """The headline table: per paper, how many claims each profile reproduced, partly, not, ... (Markdown)."""
    order = _order(reports)
    lines = ["| paper | claims | " + " | ".join(f"{p}: reproduced / partly / not / inconclusive / needs GPU / not run"
                                                for p in order) + " |",
             "| --- | --- | " + " | ".join("---" for _ in order) + " |"]
    for study, paper in NOTEBOOK_STUDIES.values():
        if not paper:
            continue
        claims = study_claims(study)
        counts = []
        for profile in order:
            entry = reports[profile]["studies"].get(study)
            verdicts = [r["verdict"] for r in entry["claims"]] if entry else [NOT_RUN] * len(claims)
            counts.append(" / ".join(str(verdicts.count(v)) for v in VERDICTS))
        lines.append(f"| {paper} | {len(claims)} | " + " | ".join(counts) + " |")
    return "\n".join(lines)


README_START, README_END = "<!-- report:headline:start -->", "<!-- report:headline:end -->"


def update_readme(readme: Path, reports: dict[str, dict]) -> bool:
    """Replace the headline table between the README's report markers; False when the README has no markers."""
    text = readme.read_text()
    if README_START not in text or README_END not in text:
        return False
    before, rest = text.split(README_START, 1)
    after = rest.split(README_END, 1)[1]
    records.write_text_atomic(f"{before}{README_START}\n{headline(reports)}\n{README_END}{after}", readme)
    return True


JUDGED = (REPRODUCED, PARTLY, NOT_REPRODUCED, INCONCLUSIVE)  # verdicts that come from runs of the profile


def agreement(reports: dict[str, dict], reduced: str = "quick", full: str = "paper") -> tuple[list[dict], int, int]:
    """Per claim judged in both profiles: ``{"paper", "claim", "reduced", "full", "agree"}``; and the counts
    (agreeing, judged in both). The quick profile is worth reading only where it says what the paper's settings say:
    this is the measure of it."""
    rows = []
    if reduced not in reports or full not in reports:
        return rows, 0, 0
    for study, paper in NOTEBOOK_STUDIES.values():
        a, b = reports[reduced]["studies"].get(study), reports[full]["studies"].get(study)
        if not paper or not a or not b:
            continue
        for x, y in zip(a["claims"], b["claims"]):
            if x["verdict"] in JUDGED and y["verdict"] in JUDGED:
                rows.append({"paper": paper, "claim": x["claim"], "reduced": x["verdict"], "full": y["verdict"],
                             "agree": x["verdict"] == y["verdict"]})
    return rows, sum(r["agree"] for r in rows), len(rows)


def agreement_table(reports: dict[str, dict]) -> list[str]:
    """The Markdown section comparing quick and paper verdicts claim by claim (empty without both profiles)."""
    rows, agree, judged = agreement(reports)
    if not judged:
        return []
    lines = ["", "## Quick vs paper", "",
             f"The quick profile agrees with the paper profile on **{agree} of {judged}** claims judged in both "
             f"({100 * agree / judged:.0f}%). Where they disagree, the quick verdict says what the reduced settings "
             "give, not what the paper's settings give.", "",
             "| paper | claim | quick | paper's settings | agree |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| {r['paper']} | {r['claim']} | {r['reduced']} | {r['full']} | {'yes' if r['agree'] else '**no**'} |"
              for r in rows]
    return lines


def render(reports: dict[str, dict], *, figures_root: str = "figures") -> str:
    """REPORT.md from the report data of each profile (``measure_profile``), profiles in the order quick, paper."""
    order = _order(reports)
    lines = ["# Claims report", "",
             "Every claim of the five papers beside what we measured, generated by `make report` from the run records "
             "(`reports/<profile>.json`). Verdicts: **reproduced**, **partly**, **not reproduced**, **inconclusive** "
             "(too few runs to decide), **needs a GPU** (estimated on this CPU, not run), **not run in this profile**. "
             "A verdict marked *reduced* was measured in a profile that cuts data, epochs or runs (see "
             "`mnist_studies/profiles.py`): it says what the reduced "
             "setting gives, not what the paper's setting gives.", ""]
    lines += ["| profile | generated | studies measured |", "| --- | --- | --- |"]
    for profile in order:
        data = reports[profile]
        lines.append(f"| {_profile_label(profile)} | {data['generated']} | "
                     f"{', '.join(s['paper'] for s in data['studies'].values()) or 'none'} |")
    lines += ["", "## Headline", "", headline(reports)]
    lines += agreement_table(reports)
    papers = [(study, paper) for study, paper in NOTEBOOK_STUDIES.values() if paper]
    for study, paper in papers:
        notebook = next(nb for nb, (s, _) in NOTEBOOK_STUDIES.items() if s == study)
        lines += ["", f"## {PAPER_TITLES[paper]}", "", f"Notebook: `notebooks/{notebook}`.", ""]
        header = "| claim | where | paper | rule |"
        rule_line = "| --- | --- | --- | --- |"
        for profile in order:
            header += f" ours, {profile} | verdict, {profile} |"
            rule_line += " --- | --- |"
        lines += [header, rule_line]
        for i, claim in enumerate(study_claims(study)):
            row = f"| {claim.text} | {claim.section} | {claim.paper} | {claim.rule} |"
            for profile in order:
                entry = reports[profile]["studies"].get(study)
                value, verdict = _cell(entry["claims"][i] if entry and i < len(entry["claims"]) else None,
                                       reports[profile]["reduced"])
                row += f" {value} | {verdict} |"
            lines.append(row)
        lines.append("")
        for profile in order:
            entry = reports[profile]["studies"].get(study)
            if not entry:
                lines.append(f"- **{profile}**: not run.")
                continue
            if not entry["runs"]:
                lines.append(f"- **{profile}**: not run; the claims that need no training are judged all the same.")
                continue
            versions = ", ".join(f"{k} {v}" for k, v in entry["versions"].items())
            figures = ", ".join(f"[{name}]({figures_root}/{profile}/{name})" for name in entry["figures"]) or "none"
            state = ("" if entry.get("complete", True) else
                     f"**incomplete** (its `make reproduce` has not finished: the claims without runs are "
                     f"*not run*; `make reproduce PROFILE={profile} ONLY={entry['notebook'][:2]}` continues it), ")
            lines.append(f"- **{profile}**: {state}{entry['runs']} run records, wall time "
                         f"{_duration(entry['wall_seconds'])}, device {entry['device']}, commit "
                         f"`{entry['git_commit']}`, {versions}. Figures: {figures}.")
    return "\n".join(lines) + "\n"


def load_reports(folder: Path) -> dict[str, dict]:
    """``reports/<profile>.json`` of every profile that has one."""
    out = {}
    for profile in PROFILE_NAMES:
        path = folder / f"{profile}.json"
        if path.is_file():
            try:
                out[profile] = json.loads(path.read_text())
            except json.JSONDecodeError as error:
                raise records.RecordError(f"{path}: unreadable report data ({error}); delete it and run "
                                          f"`make report PROFILE={profile}`") from error
    return out


def write_report(profile: str, *, folder: Path | None = None, output: Path | None = None) -> Path:
    """Measure ``profile``, store ``reports/<profile>.json`` and render ``REPORT.md`` (both atomically)."""
    folder = folder or paths.reports_dir()
    output = output or paths.report_path()
    existing = load_reports(folder)
    data = measure_profile(profile, existing.get(profile))
    before = existing.get(profile) or {}
    if {**before, "generated": None} == json.loads(json.dumps({**data, "generated": None})):
        # nothing changed: the report keeps its date, and git stays clean
        data["generated"] = before.get("generated", data["generated"])
    records.write_json_atomic(data, folder / f"{profile}.json")
    existing[profile] = data
    shown = {p: d for p, d in existing.items() if p != "smoke" or profile == "smoke"}
    records.write_text_atomic(render(shown), output)
    if output == paths.PROJECT_ROOT / "REPORT.md":  # the project's own report: keep the README's headline in step
        update_readme(paths.PROJECT_ROOT / "README.md", shown)
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mnist_studies.report", description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default="quick", help=f"one of {', '.join(PROFILE_NAMES)} (default: quick)")
    parser.add_argument("--output", type=Path, help="where the report goes (default: REPORT.md)")
    args = parser.parse_args(argv)
    try:
        check_profile_name(args.profile)
        out = write_report(args.profile, output=args.output)
    except (ValueError, records.RecordError) as error:  # StampError is a ValueError
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"Claims report for profile {args.profile!r} written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
