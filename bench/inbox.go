package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/switchboard/switchboard/internal/seed"
)

// The console's inbox page: the first 50 open conversations by last
// message, with what each row shows, and the total.
const inboxQuery = `{ conversations(first: 50, where: {status: OPEN}, orderBy: {field: LAST_MESSAGE_AT, direction: DESC}) { totalCount
	edges { node { id status customer { id name } channel { id name kind } assignee { id name } lastMessage { id body createdAt } tags { id name color } } } } }`

// The same shape in PostGraphile's default inflection.
const postgraphileQuery = `{ allConversations(first: 50, condition: {status: "OPEN"}, orderBy: LAST_MESSAGE_AT_DESC) { totalCount
	nodes { id status customerByCustomerId { id name } channelByChannelId { id name kind } agentByAssigneeId { id name }
		messageByLastMessageId { id body createdAt } conversationTagsByConversationId { nodes { tagByTagId { id name color } } } } } }`

const inboxClients = 16

func benchInbox(ctx context.Context, o options, bin string) error {
	db, s, done, err := serveOn(ctx, o, bin, "inbox")
	if err != nil {
		return err
	}
	defer done()
	ws, err := seedInbox(ctx, s, db)
	if err != nil {
		return fmt.Errorf("seeding: %w", err)
	}
	pg, err := startPostGraphile(ctx, o, db, ws)
	if err != nil {
		return fmt.Errorf("PostGraphile: %w", err)
	}
	defer pg.stop()

	// Both answer the page with 50 rows before anything is timed.
	var ours struct {
		Conversations struct {
			TotalCount int
			Edges      []struct {
				Node struct{ Tags []struct{ Name string } }
			}
		}
	}
	if err := s.graphql(ctx, s.token, inboxQuery, nil, &ours); err != nil {
		return err
	}
	var theirs struct {
		AllConversations struct {
			TotalCount int
			Nodes      []struct{ ID string }
		}
	}
	if err := postGraphQL(ctx, http.DefaultClient, pg.url, "Bearer "+pg.token, postgraphileQuery, nil, &theirs); err != nil {
		return err
	}
	if len(ours.Conversations.Edges) != 50 || len(theirs.AllConversations.Nodes) != 50 || ours.Conversations.TotalCount != theirs.AllConversations.TotalCount {
		return fmt.Errorf("the pages differ: Switchboard %d rows of %d, PostGraphile %d of %d", len(ours.Conversations.Edges),
			ours.Conversations.TotalCount, len(theirs.AllConversations.Nodes), theirs.AllConversations.TotalCount)
	}

	fmt.Printf("## Inbox page: 50 of %d open conversations (20,000 in all, 100,000 messages) with customer, channel, assignee, last message, tags and totalCount; %d clients\n\n",
		ours.Conversations.TotalCount, inboxClients)
	var sb, ref spread
	for range o.repeats {
		r, err := hammer(ctx, s.url+"/graphql", "Bearer "+s.token, inboxQuery, o.duration)
		if err != nil {
			return err
		}
		sb = append(sb, r)
		r, err = hammer(ctx, pg.url, "Bearer "+pg.token, postgraphileQuery, o.duration)
		if err != nil {
			return err
		}
		ref = append(ref, r)
	}
	fmt.Println("| | requests/s (min / median / max) |")
	fmt.Println("|---|---|")
	fmt.Printf("| Switchboard | %s |\n| PostGraphile 4.14.1 (row-level security on the workspace) | %s |\n| ratio of medians | %.2f× |\n\n", sb, ref, sb.median()/ref.median())
	return nil
}

// hammer sends query from inboxClients clients for d and returns the
// rate of answered requests.
func hammer(ctx context.Context, endpoint, auth, query string, d time.Duration) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: inboxClients}}
	var n atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	start := time.Now()
	for range inboxClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if err := postGraphQL(ctx, c, endpoint, auth, query, nil, nil); err != nil {
					if ctx.Err() == nil {
						failed.Store(err)
					}
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	if err, ok := failed.Load().(error); ok {
		return 0, err
	}
	return float64(n.Load()) / time.Since(start).Seconds(), nil
}

// seedInbox fills the admin's workspace: 5,000 customers, 20,000
// conversations (a quarter OPEN; every other one assigned to the admin
// with two tags), 5 messages each. Ids are valid typed ids.
func seedInbox(ctx context.Context, s *server, db *database) (string, error) {
	var setup struct {
		Viewer        struct{ ID string }
		CreateChannel struct{ ID string }
		A, B          struct{ ID string }
	}
	if err := s.graphql(ctx, s.token, `mutation { createChannel(input: {kind: "api", name: "App"}) { id }
		a: createTag(input: {name: "a"}) { id } b: createTag(input: {name: "b"}) { id } }`, nil, &setup); err != nil {
		return "", err
	}
	if err := s.graphql(ctx, s.token, `{ viewer { id } }`, nil, &setup); err != nil {
		return "", err
	}
	conn, err := openDB(db.url)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	var ws string
	if err := conn.QueryRowContext(ctx, `SELECT workspace_id FROM agents WHERE id = $1`, setup.Viewer.ID).Scan(&ws); err != nil {
		return "", err
	}
	in := seed.Inbox{Workspace: ws, Channel: setup.CreateChannel.ID, Agent: setup.Viewer.ID, Tags: [2]string{setup.A.ID, setup.B.ID}}
	if err := in.Run(ctx, conn); err != nil {
		return "", err
	}
	return ws, nil
}

// postgraphile is a running PostGraphile on the benchmark's database.
type postgraphile struct {
	cmd   *exec.Cmd
	url   string
	token string
}

const readerRole = "switchboard_bench_reader"

// startPostGraphile installs PostGraphile 4.14.1 (once, with npm), puts
// row-level security on the workspace on every table the page reads, and
// starts it acting as a non-superuser role whose JWT names the workspace.
func startPostGraphile(ctx context.Context, o options, db *database, ws string) (*postgraphile, error) {
	dir := filepath.Join(o.cache, "postgraphile-4.14.1")
	bin := filepath.Join(dir, "node_modules", ".bin", "postgraphile")
	if _, err := os.Stat(bin); err != nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		cmd := exec.CommandContext(ctx, "npm", "install", "--no-audit", "--no-fund", "--prefix", dir, "postgraphile@4.14.1")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("npm install postgraphile@4.14.1: %w", err)
		}
	}
	conn, err := openDB(db.url)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	_, _ = db.admin.ExecContext(ctx, `CREATE ROLE `+readerRole+` NOLOGIN`)
	stmts := []string{`GRANT USAGE ON SCHEMA public TO ` + readerRole, `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ` + readerRole}
	for _, t := range []string{"conversations", "customers", "channels", "agents", "messages", "tags"} {
		stmts = append(stmts, `ALTER TABLE `+t+` ENABLE ROW LEVEL SECURITY`,
			`CREATE POLICY workspace ON `+t+` FOR SELECT USING (workspace_id = current_setting('jwt.claims.workspace_id', true))`)
	}
	stmts = append(stmts, `ALTER TABLE conversation_tags ENABLE ROW LEVEL SECURITY`,
		`CREATE POLICY workspace ON conversation_tags FOR SELECT USING (EXISTS (SELECT 1 FROM conversations c WHERE c.id = conversation_id))`)
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	}
	secret := randomHex(32)
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"role": readerRole, "workspace_id": ws, "aud": "postgraphile", "exp": time.Now().Add(24 * time.Hour).Unix(),
	}).SignedString([]byte(secret))
	if err != nil {
		return nil, err
	}
	addr := freeAddr()
	port := addr[strings.LastIndex(addr, ":")+1:]
	cmd := exec.Command(bin, "--connection", db.url, "--schema", "public", "--host", "127.0.0.1", "--port", port,
		"--jwt-secret", secret, "--default-role", readerRole, "--disable-default-mutations", "--disable-query-log", "--retry-on-init-fail")
	logs, _ := os.CreateTemp("", "postgraphile-*.log")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	pg := &postgraphile{cmd: cmd, url: "http://" + addr + "/graphql", token: token}
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := postGraphQL(ctx, http.DefaultClient, pg.url, "Bearer "+token, `{ __typename }`, nil, nil)
		if err == nil {
			return pg, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			pg.stop()
			return nil, fmt.Errorf("PostGraphile did not start (log: %s): %w", logs.Name(), err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (p *postgraphile) stop() {
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
}
