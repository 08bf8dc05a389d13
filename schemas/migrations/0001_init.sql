-- qoltanba review store, version 1.
-- Applied by qtb_store_open inside one transaction; PRAGMA user_version records the version.
-- Times are RFC 3339 UTC text; hashes are raw 32-byte SHA-256 BLOBs; enums are CHECKed text.

-- One row per version of a submission (an inbox sub-folder). A changed folder is a new version;
-- identical content (same submission_key and content_hash) is recorded once.
CREATE TABLE submissions (
    id INTEGER PRIMARY KEY,
    submission_key TEXT NOT NULL,          -- the inbox sub-folder name
    version INTEGER NOT NULL CHECK (version >= 1),
    content_hash BLOB NOT NULL CHECK (length(content_hash) = 32),
    -- from applicant.xml (schemas/applicant.xsd); NULL when it could not be read
    applicant_kind TEXT CHECK (applicant_kind IN ('natural-person', 'individual-entrepreneur',
        'legal-entity')),
    applicant_iin TEXT,                    -- the IIN the signer must have (person or ИП)
    applicant_bin TEXT,                    -- a legal entity's BIN
    application_id TEXT,
    outcome TEXT NOT NULL CHECK (outcome IN ('ACCEPTED', 'REJECTED', 'ERROR')),
    reason TEXT,                           -- why REJECTED / ERROR, one line
    -- review state: PENDING -> APPROVED | RETURNED; a newer version supersedes a PENDING one;
    -- REJECTED and ERROR versions never enter review.
    status TEXT NOT NULL CHECK (status IN
        ('PENDING', 'APPROVED', 'RETURNED', 'SUPERSEDED', 'REJECTED', 'ERROR')),
    previous_id INTEGER REFERENCES submissions(id),
    received_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (submission_key, version)
);
CREATE INDEX submissions_status ON submissions(status);
-- Idempotency: the same content of a key is recorded once, except that an ERROR (the verifier
-- could not run) may be retried on request (`batch --retry-errors`).
CREATE UNIQUE INDEX submissions_content ON submissions(submission_key, content_hash)
    WHERE outcome <> 'ERROR';
CREATE INDEX submissions_content_all ON submissions(submission_key, content_hash);

-- Every file of a submission, plus derived documents (the regenerated questionnaire PDF).
-- Bytes live inline (content) or in a managed archive folder (archive_path, relative).
CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    name TEXT NOT NULL,                    -- path relative to the submission folder
    kind TEXT NOT NULL CHECK (kind IN ('APPLICANT_XML', 'QUESTIONNAIRE_CMS', 'QUESTIONNAIRE_PDF',
        'AUTH_XML', 'ATTACHMENT', 'ATTACHMENT_CMS', 'OTHER')),
    sha256 BLOB NOT NULL CHECK (length(sha256) = 32),
    size INTEGER NOT NULL CHECK (size >= 0),
    content BLOB,
    archive_path TEXT,
    CHECK (content IS NOT NULL OR archive_path IS NOT NULL),
    UNIQUE (submission_id, name)
);

-- A revalidation run (`qoltanba revalidate`); intake validations have run_id NULL.
CREATE TABLE revalidation_runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    validation_time TEXT NOT NULL,         -- the --at time used
    trust TEXT                             -- description of the trust folders (JSON array)
);

-- One verification of one signature document (CMS or XML) at one time.
CREATE TABLE validations (
    id INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    document_id INTEGER NOT NULL REFERENCES documents(id),          -- the signature file
    content_document_id INTEGER REFERENCES documents(id),           -- detached content, if any
    run_id INTEGER REFERENCES revalidation_runs(id),
    validated_at TEXT NOT NULL,
    indication TEXT NOT NULL CHECK (indication IN ('TOTAL_PASSED', 'TOTAL_FAILED',
        'INDETERMINATE')),
    subindication TEXT,
    message TEXT,
    error TEXT,                            -- the verifier could not run (the indication stays
                                           -- INDETERMINATE)
    report_json TEXT                       -- the whole report, as `qoltanba verify --json`
);
CREATE INDEX validations_submission ON validations(submission_id);
CREATE INDEX validations_document ON validations(document_id);

-- One row per signer per validation.
CREATE TABLE signatures (
    id INTEGER PRIMARY KEY,
    validation_id INTEGER NOT NULL REFERENCES validations(id),
    idx INTEGER NOT NULL CHECK (idx >= 0),
    indication TEXT NOT NULL CHECK (indication IN ('TOTAL_PASSED', 'TOTAL_FAILED',
        'INDETERMINATE')),
    subindication TEXT,
    message TEXT,
    signer_iin TEXT,
    signer_bin TEXT,
    signer_roles TEXT,                     -- JSON array, e.g. ["CEO"]
    signer_name TEXT,
    cert_sha256 TEXT,                      -- hex fingerprint of the signing certificate
    signing_time TEXT,
    best_signature_time TEXT,
    validation_time TEXT NOT NULL,
    report_json TEXT NOT NULL,             -- this signature's object of the report
    UNIQUE (validation_id, idx)
);

-- Evidence (certificates, CRLs, OCSP responses, timestamps), stored once by hash and linked to
-- each validation that used it, so a validation can be replayed later.
CREATE TABLE evidence (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('CERTIFICATE', 'CRL', 'OCSP', 'TIMESTAMP')),
    sha256 BLOB NOT NULL UNIQUE CHECK (length(sha256) = 32),
    der BLOB NOT NULL
);
CREATE TABLE validation_evidence (
    validation_id INTEGER NOT NULL REFERENCES validations(id),
    evidence_id INTEGER NOT NULL REFERENCES evidence(id),
    PRIMARY KEY (validation_id, evidence_id)
) WITHOUT ROWID;

-- Pre-check findings of a submission version.
CREATE TABLE findings (
    id INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    severity TEXT NOT NULL CHECK (severity IN ('ERROR', 'WARNING', 'INFO')),
    code TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX findings_submission ON findings(submission_id);

-- Review history: every status change of every version (the current status is in
-- submissions.status; this table is never updated).
CREATE TABLE reviews (
    id INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    remark TEXT,
    at TEXT NOT NULL
);
CREATE INDEX reviews_submission ON reviews(submission_id);

-- Append-only audit log: hash = SHA-256(prev_hash || canonical entry), see store_audit.c.
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,               -- 1, 2, 3 ... without gaps
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    submission_id INTEGER,
    details TEXT NOT NULL,
    prev_hash BLOB NOT NULL CHECK (length(prev_hash) = 32),
    hash BLOB NOT NULL CHECK (length(hash) = 32)
);
-- The head of the chain (count and last hash), updated in the same transaction as each append:
-- deleting the tail of audit_log without also rewriting this row is detected.
CREATE TABLE audit_anchor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    count INTEGER NOT NULL,
    head_hash BLOB NOT NULL CHECK (length(head_hash) = 32)
);
INSERT INTO audit_anchor (id, count, head_hash) VALUES (1, 0, zeroblob(32));

-- Accidents are stopped here; deliberate tampering (dropping the triggers) is what
-- `qoltanba audit verify` detects.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_anchor_no_delete BEFORE DELETE ON audit_anchor
BEGIN
    SELECT RAISE(ABORT, 'audit_anchor cannot be deleted');
END;
CREATE TRIGGER reviews_no_update BEFORE UPDATE ON reviews
BEGIN
    SELECT RAISE(ABORT, 'reviews is append-only');
END;
