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
    NEEDS_GPU_SUFFIX,
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
                     "ours": measured.value, "n": measured.n, "verdict": measured.verdict, "margin": measured.margin,
                     "question": claim.question, "needs_runs": claim.needs_runs})
    return rows


FULL_PROFILE = "paper"


def shared_runs(study_records: list[dict], full_records: list[dict]) -> list[int]:
    """[how many, of how many] of a reduced profile's records are the full profile's own runs (a record of the same
    name with the same metrics): claims measured on those agree with the paper profile by construction."""
    full = {r["name"]: r["metrics"] for r in full_records}
    own = [r for r in study_records if not r["name"].endswith(NEEDS_GPU_SUFFIX)]
    return [sum(full.get(r["name"]) == r["metrics"] for r in own), len(own)]


def claims_table(study: str, profile: str, *, section: str | None = None,
                 study_records: list[dict] | None = None) -> str:
    """A study's claims judged on its records of ``profile`` as a Markdown table, as REPORT.md judges them (the
    notebooks show their verdicts with it); ``section`` keeps the claims of one place of the paper ("Table II")."""
    study_records = records.read_records(study, profile) if study_records is None else study_records
    chosen = [c for c in study_claims(study) if section is None or c.section == section]
    lines = ["| claim | paper | ours | verdict | how close |", "| --- | --- | --- | --- | --- |"]
    for claim, row in zip(chosen, measure_claims(chosen, study_records)):
        mark = " (our question)" if claim.question else ""
        lines.append(f"| {claim.text}{mark} | {claim.paper} | {row['ours']} | {row['verdict']} | "
                     f"{row['margin'] or ''} |")
    return "\n".join(lines)


def verdict_counts(study: str, profile: str) -> str:
    """"5 reproduced, 3 inconclusive of 8 claims": how a study's claims fare on its records of ``profile``."""
    rows = measure_claims(study_claims(study), records.read_records(study, profile))
    counts = {v: sum(r["verdict"] == v for r in rows) for v in dict.fromkeys(r["verdict"] for r in rows)}
    return ", ".join(f"{n} {v}" for v, n in counts.items()) + f" of {len(rows)} claims"


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
        if profile != FULL_PROFILE:
            studies[study]["shared_runs"] = shared_runs(study_records, records.read_records(study, FULL_PROFILE))
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
        claims = [c for c in study_claims(study) if not c.question]  # the paper's claims: our questions apart
        counts = []
        for profile in order:
            entry = reports[profile]["studies"].get(study)
            verdicts = ([r["verdict"] for r in entry["claims"] if not r.get("question")] if entry
                        else [NOT_RUN] * len(claims))
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


def agreement(reports: dict[str, dict], reduced: str = "quick",
              full: str = FULL_PROFILE) -> tuple[list[dict], int, int]:
    """Per paper claim judged in both profiles: ``{"paper", "claim", "reduced", "full", "agree", "kind"}``, and the
    counts (agreeing, judged) over the claims whose reduced runs are their own (``kind`` "own runs"). The others
    agree by construction and are listed apart: "shared runs" (most of the reduced profile's records of the study
    are the full profile's runs, ``shared_runs``) and "no runs" (a parameter count)."""
    rows = []
    if reduced not in reports or full not in reports:
        return rows, 0, 0
    for study, paper in NOTEBOOK_STUDIES.values():
        a, b = reports[reduced]["studies"].get(study), reports[full]["studies"].get(study)
        if not paper or not a or not b:
            continue
        same, total = a.get("shared_runs", [0, 0])
        shared = total and 2 * same >= total
        for x, y in zip(a["claims"], b["claims"]):
            if x.get("question") or x["verdict"] not in JUDGED or y["verdict"] not in JUDGED:
                continue
            kind = "no runs" if not x.get("needs_runs", True) else "shared runs" if shared else "own runs"
            rows.append({"paper": paper, "claim": x["claim"], "reduced": x["verdict"], "full": y["verdict"],
                         "agree": x["verdict"] == y["verdict"], "kind": kind})
    own = [r for r in rows if r["kind"] == "own runs"]
    return rows, sum(r["agree"] for r in own), len(own)


def agreement_table(reports: dict[str, dict]) -> list[str]:
    """The Markdown section comparing quick and paper verdicts claim by claim (empty without both profiles)."""
    rows, agree, judged = agreement(reports)
    if not rows:
        return []
    apart = [r for r in rows if r["kind"] != "own runs"]
    lines = ["", "## Quick vs paper", "",
             f"Over the claims whose quick runs are their own, the quick profile agrees with the paper profile on "
             f"**{agree} of {judged}**. {len(apart)} more claims are judged in both but agree by construction and "
             "are not counted: the quick profile reuses the paper profile's runs there (shared runs), or the claim "
             "needs no runs. Where the two disagree, the quick verdict says what the reduced settings give, not "
             "what the paper's settings give.", "",
             "| paper | claim | quick | paper's settings | agree | quick runs |",
             "| --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {r['paper']} | {r['claim']} | {r['reduced']} | {r['full']} | {'yes' if r['agree'] else '**no**'} "
              f"| {r['kind']} |" for r in sorted(rows, key=lambda r: r["kind"] != "own runs")]
    return lines


RULES_NOTE = [
    "**How verdicts are decided** (`mnist_studies/claims/stats.py`). A number the paper gives with its spread is "
    "compared with ours by the difference of means and its 90% interval (Welch: both sides' SD and number of runs); "
    "it reproduces when the whole interval lies within a margin stated once per kind of claim (two one-sided "
    "tests), fails when the whole interval lies outside it, and is inconclusive otherwise or on one run. A number "
    "given without spread is taken to spread as ours does; a threshold (\"above 92%\") needs its whole interval on "
    "one side. Why the rules changed (2026-12-03): the earlier ones ignored our own spread and number of runs, so "
    "some could not fail (Auxiliary @ 0.5's training accuracy, 84.9 ± 22.3, had a ±44.6-point band) and others "
    "passed differences of five standard errors; Table I's ignored the learning rate it names. Many verdicts are "
    "now *inconclusive*: the runs we have cannot decide them. Each such verdict says whether more of our runs "
    "could: about how many would, at our mean and SD, or that none can, where the paper's own spread and number of "
    "runs leave too wide an interval by themselves (every Table I row of 003: one 4-fold mean of the paper's, taken "
    "to spread as our folds do, leaves ±1-2.5 points against a ±1 margin, so repeating our cross-validation cannot "
    "decide them). Changed again the "
    "same day: 004's dropout claim was judged by the gap between the training accuracy, measured with dropout "
    "active (which lowers it), and the test accuracy, so that any dropout \"mitigated overfitting\"; it is now "
    "judged by how far the test accuracy falls from its best. Pairs of runs that cannot tell (neither reaches 97%, "
    "neither test accuracy falls) are left out instead of read as ties. Comparisons between our own models (\"close\","
    " \"comparable\", \"improved by\") pair the runs that share their data (the same seed's pairs, the same fold) "
    "and test the paired difference (an undecided one says about how many pairs would decide, at our mean and SD of "
    "the differences); a claim made of parts (\"rises, then stops\") reproduces when every part does "
    "and is *partly* when some do and some do not. One margin differs: a difference of two of a paper's means "
    "(003's \"+3.3%\") carries both means' spread, so its own 90% interval is about ±1.2 points and ±1 could never "
    "be shown; such differences take ±2 points. Every claim the papers make, judged or not, is listed in "
    "`docs/claims.md`.", ""]


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
    lines += RULES_NOTE
    lines += ["| profile | generated | studies measured |", "| --- | --- | --- |"]
    for profile in order:
        data = reports[profile]
        lines.append(f"| {_profile_label(profile)} | {data['generated']} | "
                     f"{', '.join(s['paper'] for s in data['studies'].values()) or 'none'} |")
    lines += ["", "## Headline", "", headline(reports)]
    lines += agreement_table(reports)
    papers = [(study, paper) for study, paper in NOTEBOOK_STUDIES.values() if paper]
    questions = []  # (paper, header, rule line, row) of our own questions, shown after the papers' claims
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
            if claim.question:
                questions.append((paper, header, rule_line, row.replace(f"| {claim.section} |", f"| {paper} |", 1)))
            else:
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
    if questions:
        lines += ["", "## Our questions", "", "Questions we ask of the papers' networks that the papers do not answer: "
                  "judged like the claims, counted apart from them.", "",
                  questions[0][1].replace("| claim | where | paper |", "| question | paper | the paper says |"),
                  questions[0][2]]
        lines += [row for *_, row in questions]
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
