// SQLite's schema migrations (the scheme: migration.ts), applied in order at open inside one
// transaction; PRAGMA user_version holds the number of the last one applied. Never edit a
// shipped migration: append the next. Another backend keeps its own list beside this one.
import type { Migration } from './migration'

export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'init',
    sql: `
      CREATE TABLE datasets (
        name         TEXT PRIMARY KEY,
        source       TEXT NOT NULL CHECK (source IN ('builtin', 'imported')),
        train_images TEXT NOT NULL,
        train_labels TEXT NOT NULL,
        test_images  TEXT NOT NULL,
        test_labels  TEXT NOT NULL,
        n_train      INTEGER NOT NULL,
        n_test       INTEGER NOT NULL,
        created_at   TEXT NOT NULL
      );
      CREATE TABLE sweeps (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL UNIQUE,
        base_config TEXT NOT NULL,          -- JSON TrainConfig shared by the sweep's runs
        grid        TEXT NOT NULL,          -- JSON {field: values[]} the runs vary over
        created_at  TEXT NOT NULL
      );
      CREATE TABLE runs (
        id             INTEGER PRIMARY KEY,
        sweep_id       INTEGER REFERENCES sweeps(id) ON DELETE SET NULL,
        name           TEXT,
        status         TEXT NOT NULL CHECK (status IN
                         ('queued','running','completed','interrupted','cancelled','diverged','failed')),
        priority       INTEGER NOT NULL DEFAULT 0,
        config         TEXT NOT NULL,       -- JSON TrainConfig, validated
        dataset        TEXT NOT NULL,
        latent_dim     INTEGER NOT NULL,
        seed           INTEGER NOT NULL,
        epochs         INTEGER NOT NULL,
        epochs_done    INTEGER NOT NULL DEFAULT 0,
        backend        TEXT,                -- the backend that actually trained it
        backend_detail TEXT,
        code_version   TEXT NOT NULL,
        message        TEXT,                -- why it diverged, failed or was cancelled
        img_per_s      REAL,
        note           TEXT,
        created_at     TEXT NOT NULL,
        started_at     TEXT,
        finished_at    TEXT
      );
      CREATE INDEX runs_status ON runs(status, priority, id);
      CREATE INDEX runs_sweep ON runs(sweep_id);
      CREATE TABLE run_tags (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        tag    TEXT NOT NULL,
        PRIMARY KEY (run_id, tag)
      );
      CREATE TABLE epoch_metrics (
        run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        epoch       INTEGER NOT NULL,
        train_nelbo REAL NOT NULL,
        train_rec   REAL NOT NULL,
        train_kl    REAL NOT NULL,
        test_nelbo  REAL NOT NULL,
        test_rec    REAL NOT NULL,
        test_kl     REAL NOT NULL,
        test_per_digit TEXT NOT NULL,       -- JSON array of 10 {nelbo, rec, kl} or null
        img_per_s   REAL NOT NULL,
        seconds     REAL NOT NULL,
        PRIMARY KEY (run_id, epoch)
      ) WITHOUT ROWID;
      CREATE TABLE evaluations (
        run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        kind       TEXT NOT NULL,           -- 'final', 'iwae/k=5000', ...
        result     TEXT NOT NULL,           -- JSON
        created_at TEXT NOT NULL,
        PRIMARY KEY (run_id, kind)
      );
      CREATE TABLE figure_data (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        kind   TEXT NOT NULL CHECK (kind IN ('recon', 'manifold', 'scatter')),
        meta   TEXT NOT NULL,               -- JSON: indices, labels, shapes
        data   BLOB NOT NULL,               -- bytes (images) or float32 (latent means)
        PRIMARY KEY (run_id, kind)
      );
      CREATE TABLE checkpoints (
        run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        kind       TEXT NOT NULL CHECK (kind IN ('latest', 'final')),
        epoch      INTEGER NOT NULL,
        tensors    BLOB NOT NULL,           -- packTensors(): weights, and optimiser state for 'latest'
        created_at TEXT NOT NULL,
        PRIMARY KEY (run_id, kind)
      );
    `
  },
  {
    version: 2,
    name: 'queue_ownership',
    sql: `
      -- Which process trains a running run ("host:pid"), so a restart can tell a live run from one
      -- whose process was killed; and a cancel request another process (CLI, app) can leave for it.
      ALTER TABLE runs ADD COLUMN owner TEXT;
      ALTER TABLE runs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
      -- Resumed runs restart from their latest checkpoint; 'resumes' counts how often.
      ALTER TABLE runs ADD COLUMN resumes INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX run_tags_tag ON run_tags(tag);
    `
  },
  {
    version: 3,
    name: 'leases_attempts_uids',
    sql: `
      -- A run in training holds a lease its worker renews (lease_expires_at, in ms on the database's
      -- clock); lease_token fences its writes, so a worker that lost its lease writes nothing more.
      -- on_lost says what happens to the run when its worker is lost: 'interrupt' (a run started from
      -- the CLI or the app: the user resumes it) or 'requeue' (a vae-lab worker's: the next worker
      -- continues it from its checkpoint, up to a retry cap). worker says which process trained it.
      ALTER TABLE runs ADD COLUMN worker TEXT;
      ALTER TABLE runs ADD COLUMN lease_token TEXT;
      ALTER TABLE runs ADD COLUMN lease_expires_at INTEGER;
      ALTER TABLE runs ADD COLUMN heartbeat_at INTEGER;
      ALTER TABLE runs ADD COLUMN on_lost TEXT NOT NULL DEFAULT 'interrupt'
        CHECK (on_lost IN ('interrupt', 'requeue'));
      ALTER TABLE runs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
      -- Every claim of a run is an attempt: who trained which epochs, and how it ended.
      CREATE TABLE run_attempts (
        run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        attempt    INTEGER NOT NULL,
        owner      TEXT NOT NULL,
        worker     TEXT,
        started_at TEXT NOT NULL,
        ended_at   TEXT,
        outcome    TEXT NOT NULL,           -- running, completed, diverged, cancelled, failed,
                                            -- released (given back), lost, interrupted
        from_epoch INTEGER NOT NULL,
        to_epoch   INTEGER NOT NULL,
        message    TEXT,
        PRIMARY KEY (run_id, attempt)
      );
      -- Identities that survive copying a run to another store (runs pull / push).
      ALTER TABLE runs ADD COLUMN uid TEXT;
      ALTER TABLE sweeps ADD COLUMN uid TEXT;
      UPDATE runs SET uid = lower(hex(randomblob(16)));
      UPDATE sweeps SET uid = lower(hex(randomblob(16)));
      CREATE UNIQUE INDEX runs_uid ON runs(uid);
      CREATE UNIQUE INDEX sweeps_uid ON sweeps(uid);
      CREATE INDEX runs_lease ON runs(lease_token);
    `
  },
  {
    version: 4,
    name: 'dataset_class_names',
    sql: `
      -- What labels 0..9 of an imported dataset mean (a JSON list of ten names); NULL: the digits,
      -- or a known set's names (common/classNames.ts).
      ALTER TABLE datasets ADD COLUMN class_names TEXT;
    `
  },
  {
    version: 5,
    name: 'epoch_figures',
    sql: `
      -- Figure data at every epoch (issue 17): the ten reconstructions, the 2-D manifold, the
      -- scatter set's latent means and the KL per latent dimension, as they were after that epoch.
      -- Compact (core/figures/epochFigureCodec.ts): uint8 images, deflated where it pays, float16
      -- latent means. Runs stored before it keep their final figures (figure_data) and have none here.
      CREATE TABLE epoch_figures (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        epoch  INTEGER NOT NULL,
        kind   TEXT NOT NULL CHECK (kind IN ('recon', 'manifold', 'scatter', 'klperdim')),
        meta   TEXT NOT NULL,               -- JSON: shape, dtype, encoding, indices, labels, lattice
        data   BLOB NOT NULL,
        PRIMARY KEY (run_id, epoch, kind)
      );
    `
  }
]

export const SQLITE_SCHEMA_VERSION = SQLITE_MIGRATIONS[SQLITE_MIGRATIONS.length - 1].version
