-- Create "quick_replies" table
CREATE TABLE "quick_replies" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "shortcut" character varying NOT NULL, "title" character varying NOT NULL, "body" character varying NOT NULL DEFAULT '', "scope" character varying NOT NULL, "scope_key" character varying NOT NULL, "template" jsonb NULL, "workspace_id" character varying NOT NULL, "team_id" character varying NULL, "owner_id" character varying NULL, PRIMARY KEY ("id"), CONSTRAINT "quick_replies_agents_owner" FOREIGN KEY ("owner_id") REFERENCES "agents" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, CONSTRAINT "quick_replies_teams_team" FOREIGN KEY ("team_id") REFERENCES "teams" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, CONSTRAINT "quick_replies_workspaces_workspace" FOREIGN KEY ("workspace_id") REFERENCES "workspaces" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "quickreply_workspace_id" to table: "quick_replies"
CREATE INDEX "quickreply_workspace_id" ON "quick_replies" ("workspace_id");
-- Create index "quickreply_workspace_id_scope_key_shortcut" to table: "quick_replies"
CREATE UNIQUE INDEX "quickreply_workspace_id_scope_key_shortcut" ON "quick_replies" ("workspace_id", "scope_key", "shortcut");
-- Modify "files" table
ALTER TABLE "files" ADD COLUMN "quick_reply_id" character varying NULL, ADD CONSTRAINT "files_quick_replies_attachments" FOREIGN KEY ("quick_reply_id") REFERENCES "quick_replies" ("id") ON UPDATE NO ACTION ON DELETE SET NULL;
-- Create index "file_quick_reply_id" to table: "files"
CREATE INDEX "file_quick_reply_id" ON "files" ("quick_reply_id");
