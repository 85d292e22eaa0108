-- Drop index "file_status_created_at" from table: "files"
DROP INDEX "file_status_created_at";
-- Modify "files" table
ALTER TABLE "files" ADD COLUMN "thumbnail_key" character varying NULL, ADD COLUMN "position" bigint NOT NULL DEFAULT 0, ADD COLUMN "source" jsonb NULL, ADD COLUMN "attempts" bigint NOT NULL DEFAULT 0, ADD COLUMN "next_attempt_at" timestamptz NULL;
-- Create index "file_status_next_attempt_at" to table: "files"
CREATE INDEX "file_status_next_attempt_at" ON "files" ("status", "next_attempt_at");
-- Carry the attachments messages kept as JSON over to "files", as PENDING
-- files the media worker fetches from their URLs.
INSERT INTO "files" ("id", "created_at", "updated_at", "name", "content_type", "status", "message_id", "channel_id", "position", "source", "next_attempt_at", "workspace_id")
SELECT 'fil_' || substr(md5(random()::text || m.id || a.ord::text), 1, 26), m.created_at, m.created_at,
  left(coalesce(a.v->>'name', ''), 255), coalesce(nullif(left(a.v->>'contentType', 255), ''), 'application/octet-stream'),
  'PENDING', m.id, m.channel_id, a.ord - 1,
  jsonb_strip_nulls(jsonb_build_object('url', a.v->>'url', 'mediaID', a.v->>'mediaID', 'contentType', a.v->>'contentType', 'name', a.v->>'name')),
  m.created_at, m.workspace_id
FROM "messages" m CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(m.attachments) = 'array' THEN m.attachments ELSE '[]'::jsonb END) WITH ORDINALITY AS a(v, ord)
WHERE jsonb_typeof(a.v) = 'object';
-- Modify "messages" table
ALTER TABLE "messages" DROP COLUMN "attachments";
-- Modify "workspaces" table
ALTER TABLE "workspaces" ADD COLUMN "allowed_file_types" jsonb NULL;
