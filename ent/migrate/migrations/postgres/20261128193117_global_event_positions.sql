-- Modify "consumer_leases" table
ALTER TABLE "consumer_leases" ADD COLUMN "position" bigint NOT NULL DEFAULT 0;

-- Positions become one numbering across workspaces (see
-- internal/events/positions.go). The events kept so far are renumbered
-- 1..n, each workspace's in their old order; every durable consumer's
-- per-workspace checkpoints become one position in its lease row: just
-- before the first event any workspace had not handled (so nothing is
-- lost; a few events may be handled again, which handlers allow). Cursors
-- of the old numbering are answered CURSOR_EXPIRED (clients re-query).
CREATE TEMPORARY TABLE event_renumbering AS
  SELECT id, workspace_id, seq AS old_seq, row_number() OVER (ORDER BY workspace_id, seq) AS new_seq FROM events;
UPDATE consumer_leases SET position = COALESCE(
  (SELECT MIN(r.new_seq) - 1 FROM event_renumbering r
   WHERE r.old_seq > COALESCE((SELECT c.seq FROM consumer_checkpoints c
                               WHERE c.consumer = consumer_leases.id AND c.workspace_id = r.workspace_id), 0)),
  (SELECT MAX(new_seq) FROM event_renumbering),
  0);
-- Two steps, so that no row takes a number another still holds.
UPDATE events SET seq = -seq;
UPDATE events SET seq = (SELECT r.new_seq FROM event_renumbering r WHERE r.id = events.id);
UPDATE event_sequences SET last_seq = 0, pruned_through = 0;
DROP TABLE event_renumbering;
DROP TABLE consumer_checkpoints;
-- Create index "event_seq" to table: "events"
CREATE UNIQUE INDEX "event_seq" ON "events" ("seq");
