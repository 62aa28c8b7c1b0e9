"""One set of checks: each fact decided once, the same verdict in every pack, every format well formed.

Replays recorded real outputs: ``tests/fixtures/analysis/payloads.tar`` and ``waste1.tar`` (``docker save``
of real builds, see that folder's README) and ``tests/fixtures/engine/inspect-*.json`` (the engine's
inspect of the distroless ``:nonroot`` stand-in).
"""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from dockopt import audit, ci_rules, dive_compat, engine, exercises, insight, surface
from dockopt.analysis_report import analyze_report
from dockopt.checks import facts as F
from dockopt.checks import render
from dockopt.checks.formats.sarif import verdict_sarif_dict
from dockopt.checks.packs import exercise as exercise_pack
from dockopt.checks.packs.audit import AUDIT_RULES, audit_verdict
from dockopt.checks.packs.dive import DIVE_RULES
from dockopt.checks.packs.gate import CI_RULES, ci_verdict
from dockopt.checks.rule import Outcome, Rule, Severity, Status, run
from dockopt.dockerfile import parse
from tests.conftest import FIXTURES

ANALYSIS = FIXTURES / "analysis"
ROOT_USERS = ("", "root", "0", "0:0", "root:staff", " 0 ")
NON_ROOT_USERS = ("nonroot", "65532", "65532:65532", "1000:0", "app", "app:root")


@pytest.fixture(scope="module")
def payloads():
    return analyze_report(ANALYSIS / "payloads.tar")


@pytest.fixture(scope="module")
def waste():
    return analyze_report(ANALYSIS / "waste1.tar")


def _criterion(kind: str, **fields: object) -> exercises.Criterion:
    base = {"id": kind, "kind": kind, "title": kind, "threshold": 0.0, "unit": "", "hint": "h"}
    return exercises.Criterion(**{**base, **fields})  # type: ignore[arg-type]


def _static_lint_says_root(tmp_path: Path, dockerfile_text: str) -> bool:
    df = tmp_path / "Dockerfile"
    df.write_text(dockerfile_text)
    return "runs-as-root" in set(insight.lint_files([df], hadolint=False)["rule"])


# --- runs as root: one decision, the same verdict everywhere ----------------------------------------------


@pytest.mark.parametrize("user", ROOT_USERS + NON_ROOT_USERS)
def test_the_same_user_gets_the_same_verdict_in_every_pack(tmp_path, user):
    root = user in ROOT_USERS
    assert F.runs_as_root(user) is root
    facts = F.image_facts(config={"User": user, "Healthcheck": None})
    gate = {r.rule: r for r in ci_verdict(facts, {"nonRoot": "true"}).results}["nonRoot"]
    assert gate.status == (Status.FAIL if root else Status.PASS)
    audited = {r.rule: r for r in audit_verdict(facts).results}["non-root"]
    assert audited.status == (Status.FAIL if root else Status.PASS)
    graded = exercise_pack.measure(_criterion("non_root"), facts)
    assert graded.passed is not root
    info = engine.ImageInfo.from_inspect({"Config": {"User": user}})
    assert info.runs_as_root is root
    # static lint reads the Dockerfile's last USER with the same function ("" means no USER line)
    text = "FROM scratch\n" + (f"USER {user.strip()}\n" if user.strip() else "") + 'CMD ["/app"]\n'
    assert _static_lint_says_root(tmp_path, text) is root


def test_the_attack_surface_and_the_old_ci_adapter_agree(payloads):
    s = surface.surface(payloads.contents.entries, {"User": "0:0"})
    assert s.runs_as_root
    m = payloads.dive
    for user in ROOT_USERS + NON_ROOT_USERS:
        res = {r.rule: r.status for r in ci_rules.evaluate_ci(m, {"nonRoot": "true"}, user=user).results}
        assert res["nonRoot"] == ("FAIL" if F.runs_as_root(user) else "PASS")


def test_distroless_nonroot_bases_are_not_root_statically_and_match_the_recorded_config(tmp_path):
    recorded = json.loads((FIXTURES / "engine" / "inspect-distroless-nodejs24-nonroot.json").read_text())
    ref = recorded["Config"]["Labels"]["io.dockopt.standin.for"]
    assert ref.endswith(":nonroot")
    # the tag's promise is what the real config holds
    assert F.base_image_user(ref) == recorded["Config"]["User"] == "65532"
    assert not engine.ImageInfo.from_inspect(recorded).runs_as_root
    assert not _static_lint_says_root(tmp_path, f"FROM {ref}\nCOPY app.js /app/\nCMD [\"/app/app.js\"]\n")
    assert not _static_lint_says_root(tmp_path, "FROM gcr.io/distroless/static-debian12:debug-nonroot AS run\n"
                                                "FROM run\nCMD [\"/app\"]\n")  # through a stage chain
    assert _static_lint_says_root(tmp_path, "FROM gcr.io/distroless/static-debian12:latest\nCMD [\"/app\"]\n")
    assert _static_lint_says_root(tmp_path, f"FROM {ref}\nUSER root\nCMD [\"/app\"]\n")
    assert F.base_image_user("registry.example:5000/nonroot") is None  # a port, no nonroot tag
    assert F.base_image_user("gcr.io/distroless/static:nonroot@sha256:" + "0" * 64) == "65532"


# --- secret-named ARG/ENV: Docker's SecretsUsedInArgOrEnv ----------------------------------------------


@pytest.mark.parametrize(("name", "secret"), [
    ("GITHUB_TOKEN", True), ("GIT_KEY", True), ("AUTH", True), ("api_key", True), ("apikey", True),
    ("SECRET_MESSAGE", True), ("DATABASE_PASSWORD", True), ("AWS_CREDENTIALS", True), ("db_pword", True),
    ("PUBLIC_TOKEN", False), ("KEY_FILE", False), ("TOKEN_VERSION", False), ("TOKENIZER", False),
    ("MONKEY", False), ("AUTHOR", False), ("PASSWORD_FILE", False), ("sunflower", False), ("NODE_ENV", False),
])
def test_secret_names_follow_docker(name, secret):
    assert F.is_secret_name(name) is secret


def test_secret_named_args_as_buildkit_reports_them(tmp_path):
    # the shape of BuildKit's own lint test for SecretsUsedInArgOrEnv, plus a global ARG it does not check
    df = tmp_path / "Dockerfile"
    df.write_text("ARG GLOBAL_TOKEN\nFROM scratch\nARG SECRET_PASSPHRASE\nENV SUPER_Secret=foo\n"
                  "ENV password=bar secret=baz\nARG super_duper_secret_token=foo auth=bar\n"
                  "ENV apikey=bar sunflower=foo\nENV git_key=\nARG PUBLIC_TOKEN\n")
    found = F.secret_named_args(parse(df))
    assert [(a.keyword, a.name, a.line) for a in found] == [
        ("ARG", "SECRET_PASSPHRASE", 3), ("ENV", "SUPER_Secret", 4), ("ENV", "password", 5), ("ENV", "secret", 5),
        ("ARG", "super_duper_secret_token", 6), ("ARG", "auth", 6), ("ENV", "apikey", 7), ("ENV", "git_key", 8)]
    assert found[0].message == 'Do not use ARG or ENV instructions for sensitive data (ARG "SECRET_PASSPHRASE")'
    lint = insight.lint_files([df], hadolint=False)
    flagged = lint[lint["rule"] == "secrets-in-arg-env"]
    assert len(flagged) == len(found)
    assert not flagged["message"].str.contains("PUBLIC_TOKEN|GLOBAL_TOKEN").any()


# --- facts from recorded real images -----------------------------------------------------------------------


def test_facts_of_the_recorded_payloads_image(payloads):
    f = payloads.facts
    assert f is payloads.facts  # computed once per report
    assert f.user == "1000:1000" and f.runs_as_root is False
    assert f.healthcheck_declared and f.exposed_ports == ("8080/tcp",)
    assert f.setuid_files == ("/usr/bin/su",) and f.has_shell is False and f.has_package_manager is False
    assert f.secret_count == len(payloads.secret_rows) == 3
    assert set(f.secret_paths or ()) == {s.path for s in payloads.secret_rows}
    assert (f.efficiency, f.wasted_bytes, f.size_bytes) == (payloads.dive.efficiency, payloads.dive.wasted_bytes,
                                                            payloads.dive.size_bytes)
    assert f.layers == len(payloads.contents.layer_info) and f.history is not None
    assert f.smoke is None and f.healthcheck_works is None  # no smoke run given: not measured


def test_one_image_through_gate_audit_and_exercise_criteria(payloads):
    f = payloads.facts
    gate = {r.rule: r for r in payloads.ci(None).results}
    audited = {r.rule: r for r in audit_verdict(f).results}
    graded = {k: exercise_pack.measure(_criterion(k), f) for k in ("no_secrets", "no_shell", "healthcheck")}
    # secrets: one fact, failed everywhere
    assert gate["noSecrets"].status == "FAIL" and audited["no-secrets"].status == "FAIL"
    assert not graded["no_secrets"].passed and graded["no_secrets"].value == audited["no-secrets"].value == 3
    # shell and healthcheck: passed everywhere they are asked
    assert audited["no-shell"].status == "PASS" and graded["no_shell"].passed
    assert audited["healthcheck"].status == "PASS" and graded["healthcheck"].passed
    # the audit table keeps its columns and reads the same facts
    table = audit.image_audit(payloads)
    assert list(table.columns) == audit.AUDIT_COLUMNS and len(table) == len(AUDIT_RULES)
    rows = table.set_index("bench")
    assert rows.loc["4.1", "value"] == "1000:1000" and bool(rows.loc["4.1", "passed"])
    assert rows.loc["4.8", "value"] == "1" and "/usr/bin/su" in rows.loc["4.8", "detail"]
    assert rows.loc["5.8", "value"] == "0"  # 8080 needs no capability


def test_unmeasured_facts_skip_instead_of_passing(payloads):
    headers_only = analyze_report(ANALYSIS / "payloads.tar", scanners=False)
    res = {r.rule: r for r in headers_only.ci(None).results}
    assert res["noSecrets"].status == "SKIP" and "secrets" in res["noSecrets"].message
    assert res["lowestEfficiency"].status == payloads.ci(None).results[0].status
    graded = exercise_pack.measure(_criterion("no_shell"), headers_only.facts)
    assert not graded.passed and graded.message == "not measured"


def test_dive_rules_keep_dives_words(waste):
    m = waste.dive
    old_style = dive_compat.evaluate(DIVE_RULES, {}, m)  # a DiveMetrics is facts enough for dive's rules
    new_style = ci_verdict(waste.facts, {r.id: r.default for r in CI_RULES})
    assert [(r.rule, r.status, r.message) for r in old_style.results] == [
        (r.rule, r.status, r.message) for r in new_style.results[:3]]
    eff = dive_compat.go_float(m.efficiency)
    text = new_style.to_text()
    assert f"  FAIL: lowestEfficiency: image efficiency is too low (efficiency={eff} < threshold=0.9)" in text \
        or m.efficiency >= 0.9
    assert "  SKIP: highestWastedBytes: rule disabled" in text
    assert text.splitlines()[-1].startswith("Result:")


def test_a_rule_written_for_the_old_table_still_runs():
    legacy = dive_compat.Rule("maxLayers", "3", lambda v: None if v.isdigit() else "not a number",
                              lambda subject, v: "too many" if subject.layers > int(v) else None, "mine")
    declared = dataclasses.replace(legacy, reads=("layers",))  # saying what it reads lets run() skip it
    assert run([declared], F.image_facts(config={}, image="x")).results[0].status == "SKIP"  # layers not measured
    facts = F.ImageFacts(layers=5)
    r = run([legacy], facts).results[0]
    assert (r.status, r.message, r.source, legacy.key) == ("FAIL", "too many", "mine", "maxLayers")
    assert run([legacy], facts, {"maxLayers": "x"}).misconfigured


# --- formats -------------------------------------------------------------------------------------------

# The parts of the SARIF 2.1.0 schema (OASIS, sarif-schema-2.1.0.json) that dockopt writes, with the
# spec's required properties, enums and closed objects, written out here from the specification.
_MESSAGE = {"type": "object", "properties": {"text": {"type": "string", "minLength": 1}}, "required": ["text"],
            "additionalProperties": False}
_LEVEL = {"enum": ["none", "note", "warning", "error"]}
_BAG = {"type": "object"}


def _closed(properties: dict, *required: str) -> dict:
    return {"type": "object", "properties": properties, "required": list(required), "additionalProperties": False}


def _array(items: dict) -> dict:
    return {"type": "array", "items": items}


_DESCRIPTOR = _closed({"id": {"type": "string"}, "name": {"type": "string"}, "shortDescription": _MESSAGE,
                       "defaultConfiguration": _closed({"level": _LEVEL}), "properties": _BAG}, "id")
_NOTIFICATION = _closed({"message": _MESSAGE, "level": _LEVEL, "descriptor": _closed(
    {"id": {"type": "string"}, "index": {"type": "integer", "minimum": -1}})}, "message")
_LOCATION = _closed({"physicalLocation": _closed({
    "artifactLocation": _closed({"uri": {"type": "string"}}),
    "region": _closed({"startLine": {"type": "integer", "minimum": 1}})})})
_RESULT = _closed({"ruleId": {"type": "string"}, "ruleIndex": {"type": "integer", "minimum": -1},
                   "kind": {"enum": ["notApplicable", "pass", "fail", "review", "open", "informational"]},
                   "level": _LEVEL, "message": _MESSAGE, "locations": _array(_LOCATION), "properties": _BAG},
                  "message")
_RUN = _closed({
    "tool": _closed({"driver": _closed({"name": {"type": "string"}, "version": {"type": "string"},
                                        "informationUri": {"type": "string"}, "rules": _array(_DESCRIPTOR)},
                                       "name")}, "driver"),
    "invocations": _array(_closed({"executionSuccessful": {"type": "boolean"},
                                   "toolConfigurationNotifications": _array(_NOTIFICATION)}, "executionSuccessful")),
    "results": _array(_RESULT), "properties": _BAG}, "tool")
SARIF_SUBSET_SCHEMA = _closed({"$schema": {"type": "string"}, "version": {"enum": ["2.1.0"]}, "runs": _array(_RUN)},
                              "version", "runs")


def _every_pack_verdict(report):
    f = report.facts
    criteria = [_criterion("non_root"), _criterion("no_secrets"), _criterion("size", threshold=1e9)]
    return {"gate": report.ci(None), "audit": audit_verdict(f), "exercise": exercise_pack.criteria_verdict(f, criteria),
            "misconfigured": ci_verdict(f, {"lowestEfficiency": "1.5"})}


def test_every_pack_renders_valid_sarif(payloads):
    for name, verdict in _every_pack_verdict(payloads).items():
        doc = json.loads(render(verdict, "sarif", artifact="Dockerfile"))
        jsonschema.validate(doc, SARIF_SUBSET_SCHEMA)
        run_ = doc["runs"][0]
        ids = [r["id"] for r in run_["tool"]["driver"]["rules"]]
        for res in run_["results"]:
            assert ids[res["ruleIndex"]] == res["ruleId"]
            # SARIF 3.27.9: any kind but "fail" has level "none"
            assert (res["level"] == "none") is (res["kind"] != "fail"), name
        failed = {r.rule for r in verdict.results if r.status == "FAIL"}
        assert {r["ruleId"] for r in run_["results"] if r["kind"] == "fail"} == failed
        assert run_["invocations"][0]["executionSuccessful"] is not verdict.misconfigured
    misconfigured = verdict_sarif_dict(_every_pack_verdict(payloads)["misconfigured"])
    notes = misconfigured["runs"][0]["invocations"][0]["toolConfigurationNotifications"]
    assert [n["descriptor"]["id"] for n in notes] == ["lowestEfficiency"]


def test_every_pack_renders_text_json_and_junit(payloads):
    for verdict in _every_pack_verdict(payloads).values():
        doc = json.loads(render(verdict, "json"))
        assert doc["passed"] is verdict.passed
        assert [r["status"] for r in doc["results"]] == [str(r.status) for r in verdict.results]
        suite = ET.fromstring(render(verdict, "junit")).find("testsuite")
        assert suite is not None and int(suite.get("tests", "0")) == len(verdict.results)
        failed = {tc.get("name") for tc in suite.iter("testcase") if tc.find("failure") is not None}
        assert failed == {r.rule for r in verdict.results if r.status in ("FAIL", "MISCONFIGURED")}
        text = render(verdict, "text")
        assert all(f"{r.status}: {r.rule}" in text for r in verdict.results)
    with pytest.raises(ValueError, match="sarif"):
        render(payloads.ci(None), "xml")  # type: ignore[arg-type]


def test_the_rule_type_carries_what_formats_need():
    for rule in (*CI_RULES, *AUDIT_RULES, *exercise_pack.EXERCISE_RULES.values()):
        assert isinstance(rule, Rule) and rule.title and isinstance(rule.severity, Severity) and rule.reads
        assert all(name in F.ImageFacts.__dataclass_fields__ for name in rule.reads), rule.id
    assert Outcome(True).value is None


def test_analyze_writes_sarif_next_to_junit(tmp_path, capsys):
    from dockopt.cli import main

    sarif, junit = tmp_path / "ci.sarif", tmp_path / "junit.xml"
    code = main(["analyze", str(ANALYSIS / "payloads.tar"), "--ci", "--sarif", str(sarif), "--junit", str(junit),
                 "--ci-config", str(tmp_path / "none")])
    assert code == 1 and f"wrote SARIF to {sarif}" in capsys.readouterr().err  # status on stderr
    doc = json.loads(sarif.read_text())
    jsonschema.validate(doc, SARIF_SUBSET_SCHEMA)
    failed = {r["ruleId"] for r in doc["runs"][0]["results"] if r["kind"] == "fail"}
    junit_failed = {tc.get("name") for tc in ET.parse(junit).iter("testcase") if tc.find("failure") is not None}
    assert failed == junit_failed and "noSecrets" in failed


@pytest.mark.parametrize("name", ["02-starter", "05-solution", "05-starter", "06-broken"])
def test_recorded_scorecards_render_in_every_format(name):
    card = exercises.Scorecard.from_record(json.loads((FIXTURES / "exercises" / f"{name}.json").read_text()))
    verdict = card.check_verdict()
    assert verdict.passed is card.passed and len(verdict.results) == card.n_criteria
    assert sum(r.status == "PASS" for r in verdict.results) == card.n_passed
    jsonschema.validate(json.loads(render(verdict, "sarif")), SARIF_SUBSET_SCHEMA)
    suite = ET.fromstring(render(verdict, "junit")).find("testsuite")
    assert suite is not None and int(suite.get("failures", "0")) == card.n_criteria - card.n_passed
    assert json.loads(render(verdict, "json"))["passed"] is card.passed


def test_lint_findings_render_as_sarif_with_their_lines(tmp_path):
    from dockopt.checks.packs.lint import lint_verdict

    df = tmp_path / "Dockerfile"
    df.write_text("FROM gcr.io/distroless/static-debian12:latest\nARG GIT_KEY\nENV PUBLIC_TOKEN=x\nCMD [\"/app\"]\n")
    table = insight.lint_files([df], hadolint=False)
    verdict = lint_verdict(table, subject=str(df))
    assert not verdict.passed and len(verdict.results) == len(table)
    doc = json.loads(render(verdict, "sarif"))
    jsonschema.validate(doc, SARIF_SUBSET_SCHEMA)
    where = {(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
             for r in doc["runs"][0]["results"]}
    assert ("secrets-in-arg-env", 2) in where and ("runs-as-root", 1) in where
    assert not any(r["ruleId"] == "secrets-in-arg-env" and "PUBLIC_TOKEN" in r["message"]["text"]
                   for r in doc["runs"][0]["results"])
    assert lint_verdict(table.iloc[0:0]).passed  # no findings: a passing verdict
