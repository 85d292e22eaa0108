package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	_ "github.com/lib/pq"
)

// buildServer builds the server from the repository the command runs in.
func buildServer(ctx context.Context) (string, func(), error) {
	dir, err := os.MkdirTemp("", "switchboard-bench-")
	if err != nil {
		return "", nil, err
	}
	bin := filepath.Join(dir, "switchboard")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("building the server: %w", err)
	}
	return bin, func() { os.RemoveAll(dir) }, nil
}

// database is a scratch database on the benchmark's cluster.
type database struct {
	admin *sql.DB // on the server's maintenance database
	name  string
	url   string
}

func createDatabase(ctx context.Context, base, name string) (*database, error) {
	admin, err := sql.Open("postgres", base)
	if err != nil {
		return nil, err
	}
	_, _ = admin.ExecContext(ctx, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`)
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
		admin.Close()
		return nil, fmt.Errorf("create database %s: %w", name, err)
	}
	u, err := url.Parse(base)
	if err != nil {
		admin.Close()
		return nil, err
	}
	u.Path = "/" + name
	return &database{admin: admin, name: name, url: u.String()}, nil
}

// serveOn creates the scratch database switchboard_bench_<part>_<pid> and
// starts the server on it, with env (NAME=value) added to its environment;
// done stops the server and drops the database.
func serveOn(ctx context.Context, o options, bin, part string, env ...string) (*database, *server, func(), error) {
	db, err := createDatabase(ctx, o.pg, fmt.Sprintf("switchboard_bench_%s_%d", part, os.Getpid()))
	if err != nil {
		return nil, nil, nil, err
	}
	s, err := startServer(ctx, bin, db.url, env...)
	if err != nil {
		db.drop()
		return nil, nil, nil, err
	}
	return db, s, func() { s.stop(); db.drop() }, nil
}

func (d *database) drop() {
	_, _ = d.admin.Exec(`DROP DATABASE IF EXISTS "` + d.name + `" WITH (FORCE)`)
	d.admin.Close()
}

// server is a running Switchboard.
type server struct {
	cmd   *exec.Cmd
	url   string // http://127.0.0.1:port
	debug string // its SWITCHBOARD_DEBUG_ADDR
	token string // the first admin's session
	logs  *os.File
}

const adminEmail, adminPassword = "bench@example.com", "bench-password-1"

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// startServer starts bin on db, with env (NAME=value) added to its
// environment, waits until it is ready and signs in.
func startServer(ctx context.Context, bin, dbURL string, env ...string) (*server, error) {
	addr, debug := freeAddr(), freeAddr()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	logs, err := os.CreateTemp("", "switchboard-bench-*.log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"SWITCHBOARD_ADDR="+addr, "SWITCHBOARD_DEBUG_ADDR="+debug, "SWITCHBOARD_DATABASE_URL="+dbURL,
		"SWITCHBOARD_PUBLIC_URL=http://"+addr, "SWITCHBOARD_JWT_SECRET="+randomHex(32),
		"SWITCHBOARD_SECRET_KEY="+base64.StdEncoding.EncodeToString(key),
		"SWITCHBOARD_ADMIN_EMAIL="+adminEmail, "SWITCHBOARD_ADMIN_PASSWORD="+adminPassword,
		"SWITCHBOARD_LOG_FORMAT=json")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		logs.Close()
		return nil, err
	}
	s := &server{cmd: cmd, url: "http://" + addr, debug: "http://" + debug, logs: logs}
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(s.url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			s.stop()
			return nil, fmt.Errorf("the server did not become ready (log: %s)", logs.Name())
		}
		time.Sleep(100 * time.Millisecond)
	}
	var out struct{ SignIn struct{ Token string } }
	if err := s.graphql(ctx, "", `mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }`,
		map[string]any{"e": adminEmail, "p": adminPassword}, &out); err != nil {
		s.stop()
		return nil, err
	}
	s.token = out.SignIn.Token
	return s, nil
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
	s.logs.Close()
	os.Remove(s.logs.Name())
}

// graphql runs one operation and decodes its data into out.
func (s *server) graphql(ctx context.Context, token, query string, vars map[string]any, out any) error {
	return postGraphQL(ctx, http.DefaultClient, s.url+"/graphql", "Bearer "+token, query, vars, out)
}

func postGraphQL(ctx context.Context, c *http.Client, endpoint, auth, query string, vars map[string]any, out any) error {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "Bearer " && auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	return readGraphQL(res, endpoint, out)
}

// readGraphQL reads a GraphQL answer, closes its body, and decodes its
// data into out (unless nil); its first error is the error.
func readGraphQL(res *http.Response, endpoint string, out any) error {
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	var env struct {
		Data   json.RawMessage
		Errors []struct{ Message string }
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("%s: %d %s", endpoint, res.StatusCode, raw)
	}
	if len(env.Errors) > 0 {
		return errors.New(env.Errors[0].Message)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(env.Data, out)
}

// memstats reads the server's heap and stacks in use after a collection.
func (s *server) memstats() (heap, stack, goroutines uint64, err error) {
	res, err := http.Get(s.debug + "/debug/memstats")
	if err != nil {
		return 0, 0, 0, err
	}
	defer res.Body.Close()
	var m struct{ HeapInuse, StackInuse, Goroutines uint64 }
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
		return 0, 0, 0, err
	}
	return m.HeapInuse, m.StackInuse, m.Goroutines, nil
}

func openDB(u string) (*sql.DB, error) { return sql.Open("postgres", u) }
