#!/usr/bin/env python3
"""Helper of report_schema.sh (not a test by itself): validate collected reports against
schemas/report.schema.json, check the rules a schema cannot express, prove the schema rejects
broken reports, and compare the schema's enums with the C tables they mirror.

usage: report_schema.py SOURCE_DIR LIST.tsv
LIST rows (tab-separated): KIND NAME FILE WANT_RC GOT_RC WANT_SUB
  report    FILE is `qoltanba verify --json` output; the exit code must follow the indication
  http      FILE is a POST /cms/verify or /xml/verify response body (has "valid")
  certinfo  FILE is `qoltanba certinfo --json` output
  x509info  FILE is a POST /x509/info answer: {"certs": [certinfo documents]}
  store     FILE is a batch SQLite store: every validations.report_json, and every signatures
            row rebuilt as its report entry
Prints one line per check: "ok<TAB>name" or "FAIL<TAB>name<TAB>why", then "END".
"""
import copy
import json
import os
import re
import sqlite3
import sys

import jsonschema

SRC, LIST = sys.argv[1], sys.argv[2]
SCHEMA = json.load(open(os.path.join(SRC, "schemas", "report.schema.json"), encoding="utf-8"))
V = jsonschema.Draft202012Validator
V.check_schema(SCHEMA)
REPORT = V(SCHEMA)


def sub_validator(defname):
    """A validator for one of the schema's $defs, with the others reachable."""
    return V({"$defs": SCHEMA["$defs"], "$ref": "#/$defs/" + defname})


CMS_SIG = sub_validator("cmsSignature")
XML_SIG = sub_validator("xmlSignature")
CERTINFO = V({
    "$defs": SCHEMA["$defs"],
    "type": "object",
    "required": ["certificate"],
    "properties": {
        "certificate": {"$ref": "#/$defs/certificate"},
        "chain": {"type": "array", "items": {"$ref": "#/$defs/certificate"}},
    },
    "additionalProperties": False,
})
RC_OF = {"TOTAL_PASSED": 0, "TOTAL_FAILED": 1, "INDETERMINATE": 3}


def out(ok, name, why=""):
    why = " ".join(str(why).split())[:600]
    print(("ok\t%s" % name) if ok else ("FAIL\t%s\t%s" % (name, why)), flush=True)


def errors(validator, doc):
    errs = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    return "; ".join("%s: %s" % ("/".join(map(str, e.absolute_path)) or "(top)", e.message)
                     for e in errs[:3])


def expected_sub(d):
    """qtb_report_subindication: the first signature whose indication is the document's."""
    for s in d["signatures"]:
        if s["indication"] == d["indication"]:
            return s["subIndication"]
    return None


def check_report(name, d, got_rc=None, want_sub="-", validator=REPORT):
    e = errors(validator, d)
    if e:
        out(False, name + ": schema", e)
        return False
    why = []
    if d["signatures"] and d["subIndication"] != expected_sub(d):
        why.append("subIndication %s is not the first %s signature's (%s)"
                   % (d["subIndication"], d["indication"], expected_sub(d)))
    if got_rc is not None and RC_OF[d["indication"]] != got_rc:
        why.append("exit code %s does not follow %s" % (got_rc, d["indication"]))
    if want_sub != "-" and str(d["subIndication"]) != want_sub and d["subIndication"] != want_sub:
        if not (want_sub == "null" and d["subIndication"] is None):
            why.append("subIndication %s, want %s" % (d["subIndication"], want_sub))
    out(not why, name + ": schema and invariants", "; ".join(why))
    return not why


def check_store(name, path):
    db = sqlite3.connect(path)
    n = 0
    for vid, text, ind, sub in db.execute(
            "SELECT id, report_json, indication, subindication FROM validations ORDER BY id"):
        if text is None:
            out(False, "%s: validation %d has no report" % (name, vid))
            continue
        d = json.loads(text)
        n += 1
        if not check_report("%s: validation %d" % (name, vid), d):
            continue
        same = d["indication"] == ind and d["subIndication"] == sub
        out(same, "%s: validation %d columns match its report" % (name, vid),
            "columns %s/%s, report %s/%s" % (ind, sub, d["indication"], d["subIndication"]))
        rows = db.execute("SELECT idx, indication, subindication, message, report_json FROM "
                          "signatures WHERE validation_id = ? ORDER BY idx", (vid,)).fetchall()
        out(len(rows) == len(d["signatures"]),
            "%s: validation %d has a signature row per report entry" % (name, vid),
            "%d rows, %d entries" % (len(rows), len(d["signatures"])))
        for idx, sind, ssub, smsg, sjson in rows:
            entry = {"indication": sind, "subIndication": ssub, "message": smsg}
            entry.update(json.loads(sjson))
            v = CMS_SIG if d["format"] == "CMS" else XML_SIG
            e = errors(v, entry)
            label = "%s: validation %d signature row %d" % (name, vid, idx)
            if e:
                out(False, label + ": schema", e)
            else:
                out(entry == d["signatures"][idx], label + " equals the report's entry",
                    "differs from the report")
    out(n > 0, "%s: the store holds reports" % name, "no validations")


# ---- negative twins: each broken copy must be rejected ----------------------------------------

def negatives(cms, xml):
    def m(f):
        def g(d):
            d = copy.deepcopy(d)
            f(d)
            return d
        return g

    def set_(path, value):
        def f(d):
            o = d
            for k in path[:-1]:
                o = o[k]
            o[path[-1]] = value
        return f

    def del_(path):
        def f(d):
            o = d
            for k in path[:-1]:
                o = o[k]
            del o[path[-1]]
        return f

    def both(*fs):
        def f(d):
            for x in fs:
                x(d)
        return f

    s0 = ["signatures", 0]
    cases = [
        ("unknown indication", set_(["indication"], "PASSED")),
        ("unknown sub-indication", both(set_(["indication"], "INDETERMINATE"),
                                        set_(["subIndication"], "MAYBE"))),
        ("unknown format", set_(["format"], "PDF")),
        ("missing indication", del_(["indication"])),
        ("missing signatures", del_(["signatures"])),
        ("unknown top-level key", set_(["verdict"], "ok")),
        ("TOTAL_PASSED with a sub-indication", set_(["subIndication"], "HASH_FAILURE")),
        ("TOTAL_FAILED with an INDETERMINATE sub-indication",
         both(set_(["indication"], "TOTAL_FAILED"), set_(["subIndication"], "TRY_LATER"))),
        ("TOTAL_PASSED over a failed signature",
         both(set_(s0 + ["indication"], "TOTAL_FAILED"),
              set_(s0 + ["subIndication"], "HASH_FAILURE"))),
        ("TOTAL_PASSED with no signature", set_(["signatures"], [])),
        ("document message beside signatures", set_(["message"], "x")),
        ("valid true on a failed report",
         both(set_(["valid"], True), set_(["indication"], "TOTAL_FAILED"),
              set_(["subIndication"], "FORMAT_FAILURE"), set_(["signatures"], []),
              set_(["message"], "x"))),
        ("signature without its message", del_(s0 + ["message"])),
        ("signature indication lower-case", set_(s0 + ["indication"], "total_passed")),
        ("signature with an unknown key", set_(s0 + ["verified"], True)),
        ("bestSignatureTime not RFC 3339", set_(s0 + ["bestSignatureTime"], "2026-11-22 10:00")),
        ("signer without iin", del_(s0 + ["signer", "iin"])),
        ("signer iin as a number", set_(s0 + ["signer", "iin"], 123456789012)),
        ("signer with an unknown role", set_(s0 + ["signer", "roles"], ["DIRECTOR"])),
        ("signer fingerprint not SHA-256 hex", set_(s0 + ["signer", "fingerprint"], "AB")),
        ("chain of objects", set_(s0 + ["chain"], [{"subject": "CN=x"}])),
        ("revocation evidence of an unknown type",
         set_(s0 + ["revocationEvidence"], [{"type": "crl", "url": None, "response": "AA=="}])),
    ]
    cms_only = [
        ("CMS signature without checks", del_(s0 + ["checks"])),
        ("CMS check with an unknown value", set_(s0 + ["checks", "signatureValue"], "VALID")),
        ("CMS check NOT_APPLICABLE (XML only)", set_(s0 + ["checks", "chain"], "NOT_APPLICABLE")),
        ("CMS signature without signer key", del_(s0 + ["signer"])),
        ("CMS passed without a chain check", set_(s0 + ["checks", "chain"], "NOT_CHECKED")),
        ("CMS validated path without pathValidation", set_(s0 + ["pathValidation"], None)),
        ("CMS timestamp with a TOTAL_ indication",
         set_(s0 + ["timestamp"], {"indication": "TOTAL_PASSED", "message": "x"})),
    ]
    xml_only = [
        ("XML check with an unknown value", set_(s0 + ["checks", "signatureValue"], "VALID")),
        ("XML chain check with an indication", set_(s0 + ["checks", "chain"], "TOTAL_PASSED")),
        ("XML signature with a signing time", set_(s0 + ["signingTime"], "2026-01-01T00:00:00Z")),
        ("XML reference both failed and covered", set_(s0 + ["references", 0, "result"], "x")),
        ("XML passed with a changed reference",
         set_(s0 + ["references", 0, "digestValid"], False)),
        ("XML unknown key source", set_(s0 + ["keySource"], "KeyName")),
        ("XML validated path without pathValidation", set_(s0 + ["pathValidation"], None)),
        ("XML chain without a path check", del_(s0 + ["checks", "chain"])),
        ("XML checks without messageDigest", del_(s0 + ["checks", "messageDigest"])),
        ("XML passed with unchecked references",
         set_(s0 + ["checks", "messageDigest"], "NOT_CHECKED")),
        ("XML timestamp check passed (XAdES is not read)",
         set_(s0 + ["checks", "timestamp"], "PASSED")),
        ("XML signature without signer key", del_(s0 + ["signer"])),
        ("XML signature without revocationEvidence", del_(s0 + ["revocationEvidence"])),
        ("XML passed with a null signer", set_(s0 + ["signer"], None)),
        ("XML signature format (CMS fields) under XMLDSIG", set_(s0 + ["digestAlgorithm"], "x")),
    ]
    for label, base, extra in (("CMS", cms, cms_only), ("XML", xml, xml_only)):
        if base is None:
            out(False, "negative twins (%s): no TOTAL_PASSED %s report collected" % (label, label))
            continue
        out(not errors(REPORT, base), "negative twins (%s): the unbroken copy validates" % label,
            errors(REPORT, base))
        for what, f in cases + extra:
            e = errors(REPORT, m(f)(base))
            out(bool(e), "negative twin (%s): %s is rejected" % (label, what), "accepted")


# ---- drift: the schema's enums against the C tables they mirror -------------------------------

def c_source(rel):
    return open(os.path.join(SRC, rel), encoding="utf-8").read()


def drift():
    d = SCHEMA["$defs"]
    rep = c_source("engine/src/report.c")
    names = re.findall(r'\[QTB_SUB_([A-Z_]+)\] = "([A-Z_]+)"', rep)
    hdr = c_source("engine/include/qtb/report.h")
    values = {k: int(v) for k, v in re.findall(r"QTB_SUB_([A-Z_]+) = ([0-9]+)", hdr)}
    failed = [n for k, n in names if 1 <= values[k] <= 6]
    indet = [n for k, n in names if values[k] >= 7]
    out(failed == d["failedSubIndication"]["enum"],
        "drift: TOTAL_FAILED sub-indications = report.c values 1-6",
        "%s vs %s" % (failed, d["failedSubIndication"]["enum"]))
    out(indet == d["indeterminateSubIndication"]["enum"],
        "drift: INDETERMINATE sub-indications = report.c values 7-%d" % max(values.values()),
        "%s vs %s" % (indet, d["indeterminateSubIndication"]["enum"]))
    out(len(names) == len(values) - 1 and len(names) >= 25,
        "drift: every qtb_subindication but NONE has a name",
        "%d names, %d values" % (len(names), len(values)))
    ci = c_source("signers/src/certinfo.c")
    roles = re.findall(r'\{QTB_ROLE_[A-Z_]+, "([A-Z_]+)", "[0-9.]+"\}', ci)
    want = d["certificate"]["properties"]["roles"]["items"]["enum"]
    out(roles == want, "drift: roles = certinfo.c role_table", "%s vs %s" % (roles, want))
    ku = re.search(r"ku_names\[\] = \{(.*?)\};", ci, re.S)
    ku = re.findall(r'"([A-Za-z]+)"', ku.group(1)) if ku else []
    want = d["certificate"]["properties"]["keyUsage"]["items"]["enum"]
    out(ku == want, "drift: keyUsage = certinfo.c ku_names", "%s vs %s" % (ku, want))
    cert_keys = re.findall(r'json_object_set_new\(o, "([A-Za-z]+)"', ci)
    cert_keys += re.findall(r'json_object_set\(o, "([A-Za-z]+)"', ci)
    want = d["certificate"]["required"]
    out(sorted(cert_keys) == sorted(want), "drift: signer keys = the keys certinfo.c writes",
        "%s vs %s" % (sorted(set(cert_keys) ^ set(want)), ""))
    xs = c_source("signers/src/xmldsig.c")
    srcs = sorted(set(re.findall(r'source = "([A-Za-z0-9]+)"', xs)))
    want = sorted(d["xmlSignature"]["properties"]["keySource"]["enum"])
    out(srcs == want, "drift: keySource = xmldsig.c sources", "%s vs %s" % (srcs, want))
    chains = set()  # every literal an add_check(..., "chain", ...) call can write
    for args in re.findall(r'add_check\(\s*&?\w+,\s*"chain",\s*([^;]*?)\);', xs, re.S):
        chains |= set(re.findall(r'"([A-Z_]+)"', args))
    want = set(d["xmlSignature"]["properties"]["checks"]["properties"]["chain"]["enum"])
    out(chains == want, "drift: XML checks.chain values = xmldsig.c", "%s vs %s" % (chains, want))
    cv = c_source("signers/src/cms_verify.c")
    m = re.search(r"check_name\(check_state s\)(.*?)\n}", cv, re.S)
    cms_checks = set(re.findall(r'return "([A-Z_]+)"', m.group(1))) if m else set()
    want = set(d["cmsCheck"]["enum"])
    out(cms_checks == want, "drift: CMS check values = cms_verify.c check_name",
        "%s vs %s" % (cms_checks, want))


# ---- main -------------------------------------------------------------------------------------

def main():
    first_pass = {"CMS": None, "XMLDSIG": None}
    seen = set()
    for line in open(LIST, encoding="utf-8"):
        kind, name, path, want_rc, got_rc, want_sub = line.rstrip("\n").split("\t")
        if kind == "store":
            check_store(name, path)
            continue
        try:
            d = json.load(open(path, encoding="utf-8"))
        except (OSError, ValueError) as e:
            out(False, name + ": JSON", e)
            continue
        if kind == "certinfo":
            out(not errors(CERTINFO, d), name + ": certinfo schema", errors(CERTINFO, d))
            continue
        if kind == "x509info":
            certs = d.get("certs") if isinstance(d, dict) else None
            out(isinstance(certs, list) and len(certs) > 0, name + ": has certs", d)
            for i, c in enumerate(certs or []):
                out(not errors(CERTINFO, c), "%s: certs[%d] certinfo schema" % (name, i),
                    errors(CERTINFO, c))
            continue
        if kind == "http" and "valid" not in d:
            out(False, name + ": HTTP answer has \"valid\"")
        rc = int(got_rc) if kind == "report" else None
        if check_report(name, d, rc, want_sub) and d.get("indication") == "TOTAL_PASSED":
            if first_pass[d["format"]] is None and kind == "report":
                first_pass[d["format"]] = d
        if isinstance(d, dict):
            for s in d.get("signatures", []):
                seen.add((d.get("format"), s.get("indication"), s.get("subIndication")))
            if not d.get("signatures"):
                seen.add((d.get("format"), d.get("indication"), d.get("subIndication")))
    readme = c_source("schemas/README.md")
    m = re.search(r"### Example[^\n]*\n+```json\n(.*?)\n```", readme, re.S)
    if m is None:
        out(False, "schemas/README.md has an example report")
    else:
        check_report("schemas/README.md example", json.loads(m.group(1)), want_sub="null")
    negatives(first_pass["CMS"], first_pass["XMLDSIG"])
    drift()
    print("# verdicts seen: " + ", ".join("%s %s/%s" % t for t in sorted(seen, key=str)))
    print("END")


main()
